/**
 * Azure's x509 method against certificates that OpenSSL (the real CLI, in a temp dir) issues:
 * an RSA and an EC root, an untrusted root, leaves of each kind, an intermediate, an expired leaf
 * (`openssl x509 -req -days -1`), a leaf signed across families, and a not-yet-valid leaf
 * (`openssl ca -startdate`: OpenSSL 3.0's req/x509 cannot set notBefore).
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate as NodeX509 } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { X509Method } from '../../../main/broker/chain/methods/x509';
import { ConfigFileError } from '../../../main/broker/chain/toml';
import type { ChainCredentials } from '../../../main/broker/chain/types';

let dir: string;
const openssl = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
const pem = (name: string): string => readFileSync(path.join(dir, `${name}.pem`), 'utf8');
const der = (name: string): Buffer => new NodeX509(pem(name)).raw;
/** notBefore / notAfter as OpenSSL itself prints them (ISO 8601), not as our code reads them. */
const opensslDate = (name: string, which: 'startdate' | 'enddate'): string => {
  const out = execFileSync('openssl', ['x509', '-in', `${name}.pem`, '-noout', `-${which}`, '-dateopt', 'iso_8601'], { cwd: dir, encoding: 'utf8' });
  return new Date(out.trim().replace(/^not(Before|After)=/, '').replace(' ', 'T')).toISOString();
};

const KEY = { rsa: ['-newkey', 'rsa:2048'], ec: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'] };

function root(name: string, kind: keyof typeof KEY, subject: string): void {
  openssl('req', '-x509', ...KEY[kind], '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '30', '-subj', subject);
}

let serial = 10;
function issue(name: string, kind: keyof typeof KEY, subject: string, ca: string, days = '10', extfile?: string): void {
  openssl('req', '-new', ...KEY[kind], '-nodes', '-keyout', `${name}.key`, '-subj', subject, '-out', `${name}.csr`);
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-set_serial', String(serial++), '-days', days, '-out', `${name}.pem`, ...(extfile ? ['-extfile', extfile] : []));
}

const creds = (...chain: Buffer[]): ChainCredentials => ({
  clientId: 'c1',
  mqttVersion: 5,
  remoteAddress: '127.0.0.1:50000',
  listener: { name: 'tls://127.0.0.1:8883', protocol: 'tls' },
  clientCertificates: chain,
});
const signal = new AbortController().signal;

const ATTRIBUTES = `[root]
subject = "CN = Contoso Root CA Cert, OU = Engineering, C = US"
[root.attributes]
organization = "contoso"
building = "1"

[intermediate]
subject = "CN = Contoso Intermediate CA"
[intermediate.attributes]
city = "seattle"
building = "2"

[smart-fan]
subject = "CN = smart-fan"
[smart-fan.attributes]
building = "17"
`;

describe('x509 method', () => {
  let method: X509Method;

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'kbench-x509-'));
    root('ca-rsa', 'rsa', '/C=US/OU=Engineering/CN=Contoso Root CA Cert');
    root('ca-ec', 'ec', '/CN=EC Root CA');
    root('other', 'rsa', '/CN=Other CA');
    writeFileSync(path.join(dir, 'ca.ext'), 'basicConstraints=critical,CA:TRUE\n');
    issue('smart-fan', 'rsa', '/CN=smart-fan', 'ca-rsa');
    issue('dev-ec', 'ec', '/CN=dev-ec', 'ca-ec');
    issue('mixed', 'ec', '/CN=dev1', 'ca-rsa');
    issue('stranger', 'rsa', '/CN=stranger', 'other');
    issue('expired', 'ec', '/CN=dev1', 'ca-ec', '-1');
    issue('inter', 'rsa', '/CN=Contoso Intermediate CA', 'ca-rsa', '10', 'ca.ext');
    issue('fan-via-inter', 'rsa', '/CN=smart-fan', 'inter');
    notYetValid('future', '/CN=future', 'ca-ec');
    method = new X509Method({ kind: 'x509', trustedCaPem: pem('ca-rsa') + pem('ca-ec'), attributesToml: ATTRIBUTES });
  }, 120_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A leaf valid only from 2099, through `openssl ca` (the one OpenSSL 3.0 tool with -startdate). */
  function notYetValid(name: string, subject: string, ca: string): void {
    writeFileSync(path.join(dir, 'index.txt'), '');
    writeFileSync(path.join(dir, 'serial'), '1000\n');
    const config = ['[ca]', 'default_ca = bench', '[bench]', 'database = index.txt', 'new_certs_dir = .', 'serial = serial', 'default_md = sha256', 'policy = any', '[any]', 'commonName = supplied'];
    writeFileSync(path.join(dir, 'ca.cnf'), `${config.join('\n')}\n`);
    openssl('req', '-new', ...KEY.ec, '-nodes', '-keyout', `${name}.key`, '-subj', subject, '-out', `${name}.csr`);
    openssl('ca', '-batch', '-config', 'ca.cnf', '-cert', `${ca}.pem`, '-keyfile', `${ca}.key`, '-in', `${name}.csr`, '-out', `${name}.pem`, '-startdate', '20990101000000Z', '-enddate', '20991231000000Z', '-notext');
  }

  it('is not relevant without a client certificate', async () => {
    expect(await method.check({ ...creds(), clientCertificates: undefined }, signal)).toEqual({ relevant: false, relevantWhy: 'no TLS client certificate' });
    expect(await method.check(creds(), signal)).toEqual({ relevant: false, relevantWhy: 'no TLS client certificate' });
  });

  it('valid: an RSA leaf under the RSA root; attributes of the root and the leaf, the leaf winning', async () => {
    const verdict = await method.check(creds(der('smart-fan')), signal);
    expect(verdict).toMatchObject({ relevant: true, relevantWhy: 'TLS client certificate CN=smart-fan presented', valid: true, principal: 'CN=smart-fan' });
    expect(verdict.validWhy).toMatch(/^chains to trusted CA C=US, OU=Engineering, CN=Contoso Root CA Cert \(2 certificates, RSA keys/);
    expect(verdict.attributes).toEqual({ organization: 'contoso', building: '17' });
  });

  it('valid: an EC leaf under the EC root (a second CA in the bundle); no attributes match', async () => {
    const verdict = await method.check(creds(der('dev-ec')), signal);
    expect(verdict).toMatchObject({ valid: true, principal: 'CN=dev-ec', attributes: {} });
    expect(verdict.validWhy).toMatch(/EC keys/);
  });

  it('valid through an intermediate the client sends; attributes of all three levels apply in order', async () => {
    const verdict = await method.check(creds(der('fan-via-inter'), der('inter')), signal);
    expect(verdict).toMatchObject({ valid: true, principal: 'CN=smart-fan', attributes: { organization: 'contoso', city: 'seattle', building: '17' } });
    expect(verdict.validWhy).toMatch(/\(3 certificates/);
  });

  it('invalid: the intermediate is missing, so its issuer is unknown', async () => {
    expect(await method.check(creds(der('fan-via-inter')), signal)).toMatchObject({ relevant: true, valid: false, validWhy: 'issuer CN=Contoso Intermediate CA is not a trusted CA' });
  });

  it('invalid: a leaf of an unknown CA', async () => {
    expect(await method.check(creds(der('stranger')), signal)).toMatchObject({ relevant: true, valid: false, validWhy: 'issuer CN=Other CA is not a trusted CA' });
    // Sending the untrusted root along does not make it trusted.
    expect(await method.check(creds(der('stranger'), der('other')), signal)).toMatchObject({ valid: false, validWhy: 'issuer CN=Other CA is not a trusted CA' });
  });

  it('invalid: an expired leaf, with the time it expired', async () => {
    const notAfter = opensslDate('expired', 'enddate');
    expect(await method.check(creds(der('expired')), signal)).toMatchObject({ valid: false, validWhy: `certificate CN=dev1 expired at ${notAfter}` });
  });

  it('invalid: a leaf not valid yet', async () => {
    const notBefore = opensslDate('future', 'startdate');
    expect(notBefore).toBe('2099-01-01T00:00:00.000Z');
    expect(await method.check(creds(der('future')), signal)).toMatchObject({ valid: false, validWhy: `certificate CN=future is not valid before ${notBefore}` });
  });

  it('invalid: mixed key algorithms (EC leaf under the RSA root), as Azure requires', async () => {
    expect(await method.check(creds(der('mixed')), signal)).toMatchObject({ valid: false, validWhy: 'mixed key algorithms: leaf EC, CA RSA' });
  });

  it('invalid: a certificate whose issuer name is trusted but whose signature is not the CA\'s', async () => {
    // A self-made "Contoso Root CA Cert" signs a leaf: the name matches a trusted CA, the key does not.
    root('fake-root', 'rsa', '/C=US/OU=Engineering/CN=Contoso Root CA Cert');
    issue('forged', 'rsa', '/CN=smart-fan', 'fake-root');
    expect(await method.check(creds(der('forged')), signal)).toMatchObject({
      valid: false,
      validWhy: 'signature of CN=smart-fan does not verify with the key of trusted CA C=US, OU=Engineering, CN=Contoso Root CA Cert',
    });
  });

  it('invalid, not a throw: bytes that are not a certificate', async () => {
    const verdict = await method.check(creds(Buffer.from('not a certificate')), signal);
    expect(verdict).toMatchObject({ relevant: true, valid: false });
    expect(verdict.validWhy).toMatch(/^the client certificate is not DER X\.509/);
  });

  const badConfigs: [string, Partial<{ trustedCaPem: string; attributesToml: string }>, RegExp][] = [
    ['a CA bundle without certificates', { trustedCaPem: 'hello' }, /^ca\.pem:1: no "-----BEGIN CERTIFICATE-----" block$/],
    ['a broken PEM block', { trustedCaPem: '\n\n-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' }, /^ca\.pem:3: not an X\.509 certificate/],
    ['an unknown key in the attributes', { attributesToml: '[a]\nsubject = "CN = x"\nsubjct = "y"\n' }, /^attrs\.toml:3: a\.subjct: unknown key "subjct"/],
    ['a subject that is not a DN', { attributesToml: '[a]\nsubject = "smart fan"\n' }, /^attrs\.toml:2: a\.subject: "smart fan" is not a distinguished name/],
    ['no subject', { attributesToml: '[a]\n[a.attributes]\nx = "1"\n' }, /^attrs\.toml:1: a: "subject" is missing/],
  ];
  it.each(badConfigs)('refuses %s with file:line', (_name, over, message) => {
    let error: unknown;
    try {
      new X509Method({ kind: 'x509', trustedCaPem: pem('ca-rsa'), source: 'ca.pem', attributesSource: 'attrs.toml', ...over });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigFileError);
    expect((error as Error).message).toMatch(message);
  });
});
