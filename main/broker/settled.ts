/** Waiting for a connection's verdict: the broker records it before it answers the client. */
import type { Exchange } from '../exchange/model';
import type { Broker } from './broker';

/** The Exchange of the connection with this client id once its verdict is in; undefined when none came within timeoutMs. */
export async function settledExchange(broker: Broker, clientId: string, timeoutMs: number): Promise<Exchange | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const exchange = broker.exchanges.find((e) => e.meta?.clientId === clientId && e.verdict.outcome !== 'pending');
    if (exchange || Date.now() > deadline) return exchange;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
