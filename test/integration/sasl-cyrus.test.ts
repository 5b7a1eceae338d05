/**
 * Interoperability with the Cyrus SASL sample programs — the SASL library EMQX itself uses — over
 * their line protocol, in both directions, and `kbench sasl decode` on a transcript of the two
 * samples talking to each other.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Exchange } from '../../main/exchange/model';
import { runKbench } from '../helpers/cli';
import { createTestRealm, type TestRealm } from '../helpers/lab';
import { cyrusClient, cyrusServer, kbenchSasl, runPeers } from '../helpers/sasl-peers';

describe('SASL GSSAPI interop with Cyrus SASL', () => {
  let lab: TestRealm;
  beforeAll(async () => {
    lab = await createTestRealm();
  });
  afterAll(() => lab?.destroy());

  it('Cyrus client ↔ our server (Cyrus offer): privacy negotiated, messages both ways', async () => {
    const file = path.join(lab.dir, 'server.exchange.json');
    const run = await runPeers(lab, kbenchSasl(lab, 'server', '--offer', 'cyrus', '--exchange', file), cyrusClient());
    expect(run.timedOut).toBeUndefined();
    expect(run.server.output).toMatch(/negotiation complete: alice@BENCH\.TEST as alice, security layer privacy/);
    expect(run.client.output).toMatch(/SSF: 256/);
    expect(run.client.output).toContain("recieved decoded message 'srv message 1'");
    expect(run.server.output).toContain('received message "client message 1"');
    expect(run.server.code).toBe(0);
    // The Exchange as the server peer ended: both application messages included.
    const saved = (JSON.parse(await readFile(file, 'utf8')) as { exchange: Exchange }).exchange;
    expect(saved).toMatchObject({ role: 'server', verdict: { outcome: 'success' }, securityLayer: { layer: 'privacy' } });
    expect(saved.steps.filter((s) => s.transport.packet === 'application message').map((s) => s.summary)).toEqual(['"srv message 1"', '"client message 1"']);
  });

  it('a server without a FILE: keytab is a usage error, as before any exchange', async () => {
    const run = await runKbench(['sasl', 'server', '--service', 'mqtt@localhost', '--profile', 'system']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^kbench: the server needs a FILE: keytab \(--keytab, or a profile that has one\)\nusage:\n/);
  });

  it('Cyrus client ↔ our server (EMQX offer): no layer, plain messages', async () => {
    const run = await runPeers(lab, kbenchSasl(lab, 'server', '--offer', 'emqx'), cyrusClient());
    expect(run.timedOut).toBeUndefined();
    expect(run.server.output).toMatch(/security layer none/);
    expect(run.client.output).toMatch(/SSF: 0/);
    expect(run.client.output).toContain("recieved decoded message 'srv message 1'");
    expect(run.server.output).toContain('received message "client message 1"');
  });

  it.each(['none', 'integrity', 'privacy'])('our client (wants %s) ↔ Cyrus server', async (layer) => {
    const run = await runPeers(lab, cyrusServer(), kbenchSasl(lab, 'client', '--layer', layer));
    expect(run.timedOut).toBeUndefined();
    expect(run.server.output).toContain('Negotiation complete');
    expect(run.server.output).toMatch(new RegExp(`SSF: ${layer === 'none' ? 0 : layer === 'integrity' ? 1 : 256}\\b`));
    expect(run.client.output).toContain(`negotiation complete: security layer ${layer}`);
    expect(run.client.output).toContain('received message "srv message 1"');
    expect(run.server.output).toContain("recieved decoded message 'client message 1'");
    expect(run.client.code).toBe(0);
  });

  it('decodes a transcript between the two Cyrus samples with only the service keytab', async () => {
    const run = await runPeers(lab, cyrusServer(), cyrusClient());
    expect(run.timedOut).toBeUndefined();
    expect(run.server.output).toContain('Negotiation complete');
    const file = path.join(lab.dir, 'cyrus.transcript');
    await writeFile(file, `${run.transcript.join('\n')}\n`);
    const { code, stdout } = await runKbench(['sasl', 'decode', file, '--keytab', lab.serviceKeytab, '--json']);
    expect(code).toBe(0);
    const exchange = JSON.parse(stdout) as Exchange;
    const summaries = exchange.steps.map((s) => `${s.direction === 'client-to-server' ? 'C' : 'S'} ${s.tokenKind}: ${s.summary}`);
    expect(summaries[0]).toMatch(/^C GSS-API initial context token \(AP-REQ\)/);
    expect(summaries[1]).toMatch(/^S GSS-API initial context token \(AP-REP\)/);
    expect(summaries).toContain('S security-layer offer (wrapped): offers none + integrity + privacy (0x07), max buffer 2048');
    expect(summaries.find((s) => s.startsWith('C security-layer reply'))).toMatch(/chooses privacy, max buffer \d+, authorization id "alice"/);
    expect(summaries).toContain('S application message (privacy): "srv message 1"');
    expect(summaries).toContain('C application message (privacy): "client message 1"');
    // The ticket and authenticator opened with the keytab; the client principal and subkey are there.
    const apReq = JSON.stringify(exchange.steps[0]!.decoded);
    expect(apReq).toContain('"keyUsage":"2 (Ticket enc-part, service key)"');
    expect(apReq).toContain('"keyUsage":"11 (AP-REQ authenticator, ticket session key)"');
    expect(apReq).toMatch(/"name":"cname".*"value":"alice"/);
    expect(exchange.verdict).toMatchObject({ outcome: 'success' });

    const text = await runKbench(['sasl', 'decode', file, '--keytab', lab.serviceKeytab]);
    expect(text.stdout).toMatch(/^C → initial response: GSS-API initial context token \(AP-REQ\)/);
  });
});
