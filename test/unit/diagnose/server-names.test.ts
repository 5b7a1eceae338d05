/**
 * An unknown service principal made specific: which principal the client asked for (as MIT,
 * Heimdal and Java word it), and — from the realm's principal list — the names it does know for
 * that service and the --service that asks for one.
 */
import { describe, expect, it } from 'vitest';
import { askedPrincipal, explainAsked } from '../../../main/diagnose/server-names';

const LAB = ['HTTP/localhost@BENCH.TEST', 'hz/127.0.0.1@BENCH.TEST', 'mqtt/localhost@BENCH.TEST'];

describe('the principal asked for', () => {
  it('is read from MIT\'s and Heimdal\'s wordings', () => {
    expect(askedPrincipal(['Unspecified GSS failure.  Minor code may provide more information: Server mqtt/127.0.0.1@BENCH.TEST not found in Kerberos database'])).toBe('mqtt/127.0.0.1@BENCH.TEST');
    expect(askedPrincipal(['kvno: Server (mqtt/broker.example.com@EXAMPLE.COM) unknown'])).toBe('mqtt/broker.example.com@EXAMPLE.COM');
    expect(askedPrincipal(['Server not found in database: host/nltp-dom-vm.nltp-office.com@NLTP-OFFICE.COM: no such entry found in hdb'])).toBe('host/nltp-dom-vm.nltp-office.com@NLTP-OFFICE.COM');
    expect(askedPrincipal(['GSSException: No valid credentials provided (Mechanism level: Server not found in Kerberos database (7) - LOOKING_UP_SERVER)'])).toBeUndefined();
  });
});

describe('the cause and fix', () => {
  it('names the SPN asked for and the one the realm knows, with the --service to use', () => {
    const said = explainAsked('mqtt/127.0.0.1@BENCH.TEST', LAB)!;
    expect(said.cause).toBe('The client asked the KDC for mqtt/127.0.0.1@BENCH.TEST (GSS name mqtt@127.0.0.1); BENCH.TEST knows mqtt/localhost@BENCH.TEST for that service.');
    expect(said.fix).toMatch(/^Ask for a name the realm knows: --service mqtt@localhost \(the Service field in the Probe view\)/);
  });

  it('lists every name of the service when there are several', () => {
    const said = explainAsked('mqtt/127.0.0.1@BENCH.TEST', [...LAB, 'mqtt/broker.bench.test@BENCH.TEST'])!;
    expect(said.fix).toContain('--service mqtt@localhost or --service mqtt@broker.bench.test');
  });

  it('says when the realm has no principal of that service at all, and what it has', () => {
    const said = explainAsked('nosuch/localhost@BENCH.TEST', LAB)!;
    expect(said.cause).toContain('BENCH.TEST has no principal for service "nosuch"; its services are HTTP/localhost@BENCH.TEST, hz/127.0.0.1@BENCH.TEST, mqtt/localhost@BENCH.TEST.');
    expect(said.fix).toContain('kbench lab principal add nosuch/localhost --random');
  });

  it('for a realm it cannot list, names the principal asked for only', () => {
    const said = explainAsked('mqtt/10.0.0.5@EXAMPLE.COM', null)!;
    expect(said.cause).toBe('The client asked the KDC for mqtt/10.0.0.5@EXAMPLE.COM (GSS name mqtt@10.0.0.5), and EXAMPLE.COM has no principal by that name.');
    expect(explainAsked('not-a-service-principal', LAB)).toBeUndefined();
  });

  it('in an AD lab realm, says how AD adds a service, and that a name the directory holds yet the KDC did not find is held twice', () => {
    const ad = ['HTTP/localhost@AD.TEST', 'HTTP/web.ad.test@AD.TEST'];
    expect(explainAsked('nosuch/localhost@AD.TEST', ad, 'ad')!.fix).toContain('kbench lab account add svc-nosuch --spn nosuch/localhost');
    const held = explainAsked('HTTP/web.ad.test@AD.TEST', ad, 'ad')!;
    expect(held.cause).toContain("AD.TEST's directory does hold HTTP/web.ad.test@AD.TEST, yet its KDC answered \"not found\": the SPN is on more than one account");
    expect(held.fix).toContain('kbench lab spn find HTTP/web.ad.test');
  });
});
