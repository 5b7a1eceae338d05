/**
 * Scenario "auth-deadline": a person steps the probe through the packets slower than the broker
 * waits. A bench broker listener with a 1 s deadline that does not hold it for stepping probes;
 * the probe in step mode sends CONNECT at once and answers the AP-REP only after 1.5 s — by
 * then the broker has refused with CONNACK 0x87 and a Reason String naming the deadline, and
 * the probe's pause ends with the connection. Nothing in the realm changes: no restore needed.
 */
import { startBroker } from '../broker/broker';
import { kerberosAuthenticator } from '../broker/kerberos-setup';
import { MqttProbe } from '../probe/probe';
import type { Scenario, ScenarioContext } from './scenarios';

const DEADLINE_MS = 1_000;
const PAUSE_MS = 1_500;

/** Resolves after `ms`, or at once when the connection ends. */
function pauseFor(ms: number, ended: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    ended.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

async function stepTooSlowly(ctx: ScenarioContext) {
  const principal = `mqtt/localhost@${ctx.status.realm}`;
  const authenticator = await kerberosAuthenticator({ gss: ctx.gss, profile: ctx.profile, keytabFile: ctx.status.keytabs.service, principal, variant: 'emqx' });
  const broker = await startBroker({
    listeners: [{ protocol: 'tcp', port: 0, authenticators: [authenticator], authDeadlineMs: DEADLINE_MS, holdDeadlineWhileStepping: false }],
  });
  try {
    const probe = new MqttProbe({
      url: broker.listeners[0]!.url,
      gss: ctx.gss,
      profile: ctx.profile,
      service: 'mqtt@localhost',
      // The broker's clock starts at TCP accept, after the CONNECT pause: only the AUTH pause counts.
      beforeSend: (next, ended) => (next.packet === 'CONNECT' ? Promise.resolve() : pauseFor(PAUSE_MS, ended)),
    });
    const exchange = await probe.connect();
    await probe.close();
    const server = broker.exchanges.at(-1);
    return { error: exchange.verdict.outcome === 'success' ? '' : exchange.verdict.reason, exchanges: [exchange, ...(server ? [server] : [])] };
  } finally {
    await broker.close();
    await authenticator.dispose?.();
  }
}

export const AUTH_DEADLINE_SCENARIO: Scenario = {
  id: 'auth-deadline',
  title: 'Stepping slower than the broker’s authentication deadline',
  expects: 'auth-deadline',
  description: `A broker listener with a ${DEADLINE_MS} ms deadline that does not hold it for stepping probes; the probe steps and answers the AP-REP after ${PAUSE_MS} ms.`,
  run: stepTooSlowly,
};
