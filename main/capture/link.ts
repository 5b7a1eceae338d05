/**
 * Ties the Exchanges of one capture together by the tickets they carry: a ticket's cipher is the
 * same bytes wherever it travels, so the AP-REQ an MQTT client sends holds exactly the ticket a
 * TGS-REP issued earlier, and the TGS-REQ holds the TGT an AS-REP issued. Each application
 * exchange is linked to its TGS exchange and to the AS exchange of the client's TGT; one timeline
 * per client follows from the links.
 */
import type { CaptureOrigin, Exchange } from '../exchange/model';

/** What linking reads of an Exchange: who it is, when it started, its capture origin. */
export type Linkable = Pick<Exchange, 'id' | 'startedAt'> & { capture: Pick<CaptureOrigin, 'linked' | 'client'> };

export interface TicketUse {
  /** Fingerprints of tickets the client side sent (AP-REQ, PA-TGS-REQ). */
  presented: string[];
  /** Fingerprints of tickets a KDC reply carried. */
  issued: string[];
  /** Client principals the Exchange names. */
  clients: string[];
}

function addLink(from: Linkable, to: Linkable): void {
  if (from === to) return;
  const links = from.capture.linked;
  if (!links.includes(to.id)) links.push(to.id);
}

/** The Exchange whose reply issued `fingerprint` most recently before `before` started. */
function issuer(fingerprint: string, issuers: Map<string, Linkable[]>, before: Linkable): Linkable | undefined {
  const candidates = issuers.get(fingerprint) ?? [];
  return candidates.filter((e) => e.startedAt <= before.startedAt).at(-1) ?? candidates[0];
}

export function linkExchanges(exchanges: readonly Linkable[], uses: ReadonlyMap<string, TicketUse>): void {
  const issuers = new Map<string, Linkable[]>();
  for (const exchange of exchanges) {
    for (const fingerprint of uses.get(exchange.id)?.issued ?? []) {
      const list = issuers.get(fingerprint) ?? [];
      list.push(exchange);
      issuers.set(fingerprint, list);
    }
  }
  for (const exchange of exchanges) {
    for (const fingerprint of uses.get(exchange.id)?.presented ?? []) {
      const tgs = issuer(fingerprint, issuers, exchange);
      if (!tgs) continue;
      addLink(exchange, tgs);
      addLink(tgs, exchange);
      // The issuer's own presented ticket (a TGS-REQ's TGT) leads on to the AS exchange.
      for (const tgt of uses.get(tgs.id)?.presented ?? []) {
        const as = issuer(tgt, issuers, tgs);
        if (!as) continue;
        addLink(exchange, as);
        addLink(as, exchange);
        addLink(tgs, as);
        addLink(as, tgs);
      }
    }
  }
  // A client named in one linked Exchange (the AS-REQ's cname, in clear) is the client of all.
  for (const exchange of exchanges) {
    const own = uses.get(exchange.id);
    if (!own) continue;
    for (const id of exchange.capture.linked) for (const client of uses.get(id)?.clients ?? []) if (!own.clients.includes(client)) own.clients.push(client);
  }
}

/** The client an Exchange belongs to on the timeline: its principal when known, else its address. */
export function timelineClient(exchange: Linkable, uses: ReadonlyMap<string, TicketUse>): string {
  const principal = [...(uses.get(exchange.id)?.clients ?? [])][0];
  return principal ?? exchange.capture.client.replace(/:\d+$/, '');
}

/** What the client asked for: the KDC request's sname, else the ticket it presented, else the server. */
export function targetOf(exchange: Exchange): string {
  const capture = exchange.capture!;
  const fields = exchange.steps[0]?.transport.fields;
  if (capture.protocol === 'kerberos' && typeof fields?.sname === 'string') {
    return typeof fields.realm === 'string' && !fields.sname.includes('@') ? `${fields.sname}@${fields.realm}` : fields.sname;
  }
  return capture.ticket ? `${capture.ticket.sname}@${capture.ticket.realm}` : capture.server;
}
