/**
 * The MQTT entries of the catalog: an authentication deadline seen in the bench broker's Reason
 * String (on either side's Exchange) and in generic wordings, and the connection failures that
 * the Probe view used to explain with its own regular expressions.
 */
import { describe, expect, it } from 'vitest';
import { observeExchange, observeText } from '../../../main/diagnose/observations';
import { diagnoseObservations } from '../../../main/diagnose/diagnosis';
import type { Exchange } from '../../../main/exchange/model';

const top = (text: string) => diagnoseObservations(observeText(text))[0];

/** A probe Exchange refused at the deadline, as the probe records it (CONNACK with the broker's Reason String). */
function refusedProbeExchange(reasonString: string): Exchange {
  const at = new Date(0).toISOString();
  return {
    id: 'x',
    source: 'probe',
    role: 'client',
    mechanism: 'GSSAPI-KERBEROS',
    startedAt: at,
    steps: [
      { index: 0, direction: 'client-to-server', at, elapsedMs: 0, transport: { protocol: 'mqtt', packet: 'CONNECT', fields: { userProperties: 'kbench-step=1' } }, token: 'AA==' },
      { index: 1, direction: 'server-to-client', at, elapsedMs: 5, transport: { protocol: 'mqtt', packet: 'AUTH', fields: { reasonCode: '0x18 Continue Authentication', userProperties: 'kbench-auth-deadline-ms=995' } }, token: 'AA==' },
      {
        index: 2,
        direction: 'server-to-client',
        at,
        elapsedMs: 1000,
        transport: { protocol: 'mqtt', packet: 'CONNACK', fields: { reasonCode: '0x87 Not Authorized', reasonString } },
        summary: 'Connection refused: Not authorized',
        error: reasonString,
      },
    ],
    verdict: { outcome: 'failure', reason: `Connection refused: Not authorized — the broker says: ${reasonString}`, code: '0x87 Not Authorized' },
  };
}

describe('auth-deadline', () => {
  it('matches the bench broker\'s Reason String, with its deadline or its held cap', () => {
    expect(top('authentication did not finish within 1500 ms (this listener\'s deadline)')?.id).toBe('auth-deadline');
    expect(top('re-authentication failed: it did not finish within 600000 ms (the cap while a bench probe steps)')?.id).toBe('auth-deadline');
    expect(top('CONNACK 0x87 Not Authorized: authentication did not finish within 10000 ms (this listener\'s deadline)')!.confidence).toBeGreaterThan(0.7);
  });

  it('matches generic wordings of an authentication timeout', () => {
    for (const text of ['Connection refused: Not authorized — the broker says: auth timeout', 'authentication timed out', 'DISCONNECT 0x87: Authentication timeout', 'reason: auth_timeout']) {
      expect(top(text)?.id, text).toBe('auth-deadline');
    }
  });

  it('is not fooled by other timeouts or by 0x87 alone', () => {
    expect(top('Receive timed out')?.id).not.toBe('auth-deadline');
    expect(top('connect ETIMEDOUT 10.0.0.1:1883')?.id).not.toBe('auth-deadline');
    expect(top('0x87 Not Authorized')).toBeUndefined();
    expect(top('the authenticator timeout option is 30')?.id).not.toBe('auth-deadline');
  });

  it('is the top finding for the probe\'s Exchange refused at the deadline', () => {
    const findings = diagnoseObservations(observeExchange(refusedProbeExchange('authentication did not finish within 1500 ms (this listener\'s deadline)')));
    expect(findings[0]).toMatchObject({ id: 'auth-deadline', scenario: 'auth-deadline' });
    expect(findings[0]!.fix).toMatch(/hold the deadline while a bench probe steps/i);
    expect(findings[0]!.evidence.map((e) => e.source)).toContain('step 3 (CONNACK) error');
  });
});

describe('connection failures the Probe view used to explain itself', () => {
  it.each([
    ['Connection refused: Bad authentication method', 'mqtt-bad-auth-method'],
    ['no authenticator for Authentication Method "GSSAPI" on this listener (offered: GSSAPI-KERBEROS)', 'mqtt-bad-auth-method'],
    ['connect ECONNREFUSED 127.0.0.1:1: nothing listens there — is the broker running, and on this port?', 'broker-unreachable'],
    ['self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT): the broker\'s certificate is not trusted', 'tls-untrusted-certificate'],
    ['the broker closed the connection before CONNACK', 'mqtt-closed-before-connack'],
  ])('%s → %s', (text, id) => {
    expect(top(text)?.id).toBe(id);
  });

  it('a client that gave up is not taken for a broker that closed the connection', () => {
    expect(top('the client closed the connection before CONNACK')?.id).not.toBe('mqtt-closed-before-connack');
  });
});
