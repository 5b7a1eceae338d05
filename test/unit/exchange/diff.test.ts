import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { diffExchanges, findTicket, packetLabel, presentedTicket } from '../../../main/exchange/diff';
import type { Exchange, ExchangeStep } from '../../../main/exchange/model';
import { decodeAuto } from '../../../main/krb/decode/auto';
import type { TreeNode } from '../../../main/krb/tree';

// A real AP-REQ (MIT 1.20.1, test/fixtures/world/make.sh): ticket for HTTP/localhost@WORLD.TEST, aes256, kvno 2.
const world = JSON.parse(readFileSync('test/fixtures/world/world.json', 'utf8')) as { delegatedApReq: string };

function step(index: number, direction: ExchangeStep['direction'], packet: string, extra: Partial<ExchangeStep> = {}): ExchangeStep {
  return { index, direction, at: '2026-01-01T00:00:00.000Z', elapsedMs: index * 10, transport: { protocol: 'mqtt', packet }, ...extra };
}

function exchange(steps: ExchangeStep[], verdict: Exchange['verdict'], extra: Partial<Exchange> = {}): Exchange {
  return { id: 'x', source: 'capture', role: 'observer', mechanism: 'GSSAPI-KERBEROS', startedAt: '2026-01-01T00:00:00.000Z', steps, verdict, ...extra };
}

const captureOrigin = (kvno: number, sname = 'mqtt/broker.example.com') => ({
  protocol: 'mqtt' as const,
  client: '10.0.0.1:5000',
  server: '10.0.0.2:1883',
  packets: [1, 2],
  principals: [],
  linked: [],
  ticket: { sname, realm: 'CORP.EXAMPLE', kvno, etype: 18, fingerprint: '' },
});

describe('packetLabel', () => {
  it('brings the probe\'s and the capture\'s packet names to one form', () => {
    expect(packetLabel(step(0, 'server-to-client', 'AUTH', { transport: { protocol: 'mqtt', packet: 'AUTH', fields: { reasonCode: '0x18 Continue Authentication' } } }))).toBe('AUTH 0x18');
    expect(packetLabel(step(0, 'server-to-client', 'CONNACK 0x87'))).toBe('CONNACK 0x87');
    expect(packetLabel(step(0, 'client-to-server', 'CONNECT'))).toBe('CONNECT');
  });
});

describe('the ticket a client presented', () => {
  it('is found in a decoded AP-REQ', () => {
    const tree = decodeAuto(Buffer.from(world.delegatedApReq, 'base64')).tree;
    expect(findTicket(tree)).toEqual({ sname: 'HTTP/localhost', realm: 'WORLD.TEST', kvno: 2, etype: 18 });
    const e = exchange([step(0, 'client-to-server', 'CONNECT', { decoded: tree })], { outcome: 'success', reason: 'ok' });
    expect(presentedTicket(e)?.sname).toBe('HTTP/localhost');
  });

  it('comes from the capture\'s record first', () => {
    const e = exchange([], { outcome: 'failure', reason: 'x' }, { capture: captureOrigin(3) });
    expect(presentedTicket(e)).toEqual({ sname: 'mqtt/broker.example.com', realm: 'CORP.EXAMPLE', kvno: 3, etype: 18 });
  });

  it('is not looked for forever in a deep tree', () => {
    let node: TreeNode = { name: 'leaf', type: 'X', offset: 0, length: 0 };
    for (let i = 0; i < 10_000; i++) node = { name: 'n', type: 'X', offset: 0, length: 0, children: [node] };
    expect(findTicket(node)).toBeUndefined();
  });
});

describe('diffExchanges', () => {
  const connect = step(0, 'client-to-server', 'CONNECT', { token: 'YQ==', tokenKind: 'GSS-API AP-REQ', transport: { protocol: 'mqtt', packet: 'CONNECT', fields: { clientId: 'sensor-7' } } });

  it('says what differs when the original failed and the replay succeeded, ticket first', () => {
    const original = exchange([connect, step(1, 'server-to-client', 'CONNACK 0x87')], { outcome: 'failure', reason: 'kvno 3 not found in keytab', code: '0x87 Not Authorized' }, { capture: captureOrigin(3) });
    const replay = exchange(
      [
        connect,
        step(1, 'server-to-client', 'AUTH', { token: 'Yg==', tokenKind: 'GSS-API AP-REP', transport: { protocol: 'mqtt', packet: 'AUTH', fields: { reasonCode: '0x18 Continue Authentication' } } }),
        step(2, 'server-to-client', 'CONNACK', { transport: { protocol: 'mqtt', packet: 'CONNACK', fields: { reasonCode: '0x00 Success' } } }),
      ],
      { outcome: 'success', reason: 'connected', code: '0x00 Success' },
      { source: 'replay', capture: captureOrigin(2) },
    );
    const diff = diffExchanges(original, replay);
    expect(diff.summary[0]).toBe(
      'the original failed (0x87 Not Authorized: kvno 3 not found in keytab) and the replay succeeded — the original presented a ticket for mqtt/broker.example.com@CORP.EXAMPLE kvno 3, etype 18; the replay\'s is a ticket for mqtt/broker.example.com@CORP.EXAMPLE kvno 2, etype 18 (kvno 3 → 2)',
    );
    const rows = Object.fromEntries(diff.rows.map((r) => [r.aspect, r]));
    expect(rows['ticket kvno']).toMatchObject({ original: '3', replay: '2', same: false });
    expect(rows['ticket sname']!.same).toBe(true);
    expect(rows.packets).toMatchObject({ original: 'CONNECT → CONNACK 0x87', replay: 'CONNECT → AUTH 0x18 → CONNACK 0x00', same: false });
    expect(rows['reason codes']).toMatchObject({ original: '0x87', replay: '0x18 → 0x00' });
    expect(rows.rounds).toMatchObject({ original: '1', replay: '2' });
    expect(rows['token kinds']!.replay).toBe('GSS-API AP-REQ → GSS-API AP-REP');
    expect(rows['client id']).toMatchObject({ original: 'sensor-7', same: true });
    expect(diff.summary.some((s) => s.startsWith('packets differ: CONNECT → CONNACK 0x87 (original)'))).toBe(true);
  });

  it('finds nothing to say about two equal runs', () => {
    const e = exchange([connect, step(1, 'server-to-client', 'CONNACK 0x00')], { outcome: 'success', reason: 'ok', code: '0x00 Success' });
    const diff = diffExchanges(e, structuredClone(e));
    expect(diff.rows.every((r) => r.same)).toBe(true);
    expect(diff.summary).toEqual(['no difference in verdict, ticket, rounds, packets, reason codes or token kinds']);
  });

  it('names a replay refused where the original succeeded', () => {
    const ok = exchange([connect, step(1, 'server-to-client', 'CONNACK 0x00')], { outcome: 'success', reason: 'ok' });
    const refused = exchange([connect, step(1, 'server-to-client', 'CONNACK 0x87')], { outcome: 'failure', reason: 'refused as a replay' });
    expect(diffExchanges(ok, refused).summary[0]).toBe('the original succeeded and the replay failed: refused as a replay');
  });
});
