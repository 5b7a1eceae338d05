/**
 * Two Exchanges side by side: a captured one and its replay (or any two runs of one flow). Each
 * aspect is one row — verdict, ticket (sname, kvno, etype), rounds, packets, reason codes, token
 * kinds, client id, timing — and the summary says in words what differs, most telling first: a
 * changed outcome, then what the client presented (the ticket), then the shape of the conversation.
 *
 * Packet names are compared in the capture's form ("AUTH 0x18", "CONNACK 0x87"): the probe and the
 * gateway name the packet alone ("AUTH") and keep the reason code in its fields, so both forms are
 * brought to one before comparing.
 */
import type { ExchangeDiff, ExchangeDiffRow } from '../api/capture';
import { ticketNodeFields, type TreeNode } from '../krb/tree';
import type { Exchange, ExchangeStep } from './model';

/** The ticket a client presented, as far as an Exchange tells. */
export interface PresentedTicket {
  sname: string;
  realm: string;
  kvno: number | null;
  etype: number | null;
}

/** How deep the ticket search goes into a decoded tree: a Ticket sits a few levels down (GSS → AP-REQ → ticket). */
const MAX_TICKET_DEPTH = 12;
/** Timings this close (ms, or this fraction of the longer one) count as the same: two runs never match to the millisecond. */
const TIMING_SLACK_MS = 100;
const TIMING_SLACK_RATIO = 0.5;

const REASON_CODE = /\b0x[0-9a-f]{2}\b/i;

/** "AUTH 0x18", "CONNACK 0x00", "CONNECT": the packet with its reason code, whichever form the step uses. */
export function packetLabel(step: ExchangeStep): string {
  const packet = step.transport.packet;
  if (REASON_CODE.test(packet)) return packet;
  const code = step.transport.fields?.reasonCode ?? step.transport.fields?.returnCode;
  const found = typeof code === 'string' ? REASON_CODE.exec(code) : null;
  return found ? `${packet} ${found[0].toLowerCase()}` : packet;
}

/** The reason code of a step ("0x87"), when it has one. */
function reasonCodeOf(step: ExchangeStep): string | undefined {
  return REASON_CODE.exec(packetLabel(step))?.[0].toLowerCase();
}

function ticketFromNode(node: TreeNode): PresentedTicket | undefined {
  const fields = ticketNodeFields(node);
  return fields && { sname: fields.sname, realm: fields.realm, kvno: fields.kvno, etype: fields.etype ?? null };
}

/** The first Ticket node of a decoded tree (an AP-REQ's ticket), by an explicit stack: no recursion on foreign trees. */
export function findTicket(tree: TreeNode | undefined): PresentedTicket | undefined {
  if (!tree) return undefined;
  const stack: { node: TreeNode; depth: number }[] = [{ node: tree, depth: 0 }];
  while (stack.length) {
    const { node, depth } = stack.pop()!;
    if (node.type === 'Ticket') {
      const ticket = ticketFromNode(node);
      if (ticket) return ticket;
    }
    if (depth >= MAX_TICKET_DEPTH) continue;
    const children = node.children ?? [];
    for (let i = children.length - 1; i >= 0; i--) stack.push({ node: children[i]!, depth: depth + 1 });
    if (node.decrypted) stack.push({ node: node.decrypted.tree, depth: depth + 1 });
  }
  return undefined;
}

/** The ticket an Exchange's client presented: the capture's record of it, else the first Ticket in the client's decoded tokens. */
export function presentedTicket(exchange: Exchange): PresentedTicket | undefined {
  const recorded = exchange.capture?.ticket;
  if (recorded) return { sname: recorded.sname, realm: recorded.realm, kvno: recorded.kvno, etype: recorded.etype };
  for (const step of exchange.steps) {
    if (step.direction !== 'client-to-server') continue;
    const ticket = findTicket(step.decoded);
    if (ticket) return ticket;
  }
  return undefined;
}

/** Steps that carried a token (an empty one counts: it is a round). */
function roundsOf(exchange: Exchange): number {
  return exchange.steps.filter((s) => s.token !== undefined).length;
}

/** Total time from the first step to the last (or to the verdict). */
export function elapsedOf(exchange: Exchange): number {
  const last = exchange.steps.at(-1)?.elapsedMs ?? 0;
  const finished = exchange.finishedAt ? Date.parse(exchange.finishedAt) - Date.parse(exchange.startedAt) : NaN;
  return Number.isFinite(finished) && finished > last ? finished : last;
}

function clientIdOf(exchange: Exchange): string {
  const connect = exchange.steps.find((s) => s.direction === 'client-to-server' && /^CONNECT\b/.test(s.transport.packet));
  const id = connect?.transport.fields?.clientId;
  return id === undefined ? '—' : String(id);
}

function verdictText(exchange: Exchange): string {
  const { outcome } = exchange.verdict;
  // A capture says "0x00", the probe "0x00 Success": the same code.
  const code = exchange.verdict.code?.replace(/^(0x[0-9a-f]{2})\b.*$/i, (_m, hex: string) => hex.toLowerCase());
  return code ? `${outcome} (${code})` : outcome;
}

const list = (items: readonly string[]) => (items.length ? items.join(' → ') : '—');
const orDash = (value: string | number | null | undefined) => (value === null || value === undefined || value === '' ? '—' : String(value));
const ms = (value: number) => `${Math.round(value)} ms`;

function ticketName(ticket: PresentedTicket | undefined): string {
  return ticket ? `${ticket.sname}@${ticket.realm}` : '—';
}

function row(aspect: string, original: string, replay: string, same = original === replay): ExchangeDiffRow {
  return { aspect, original, replay, same };
}

function timingSame(a: number, b: number): boolean {
  return Math.abs(a - b) <= Math.max(TIMING_SLACK_MS, TIMING_SLACK_RATIO * Math.max(a, b));
}

/** "a ticket for mqtt/broker.example.com@R kvno 3 (etype 18)". */
function ticketWords(ticket: PresentedTicket | undefined): string {
  if (!ticket) return 'no ticket the bench could read';
  const kvno = ticket.kvno === null ? 'no kvno' : `kvno ${ticket.kvno}`;
  const etype = ticket.etype === null ? '' : `, etype ${ticket.etype}`;
  return `a ticket for ${ticket.sname}@${ticket.realm} ${kvno}${etype}`;
}

/** What differs between the two tickets, in words ("kvno 3 → 2"), or nothing. */
function ticketChanges(a: PresentedTicket | undefined, b: PresentedTicket | undefined): string[] {
  if (!a || !b) return [];
  const changes: string[] = [];
  if (a.sname !== b.sname || a.realm !== b.realm) changes.push(`service ${ticketName(a)} → ${ticketName(b)}`);
  if (a.kvno !== b.kvno) changes.push(`kvno ${orDash(a.kvno)} → ${orDash(b.kvno)}`);
  if (a.etype !== b.etype) changes.push(`etype ${orDash(a.etype)} → ${orDash(b.etype)}`);
  return changes;
}

/** The outcome sentence, when the outcome changed. */
function outcomeSummary(original: Exchange, replay: Exchange, a: PresentedTicket | undefined, b: PresentedTicket | undefined): string | undefined {
  const was = original.verdict.outcome;
  const now = replay.verdict.outcome;
  if (was === now) return undefined;
  if (was === 'failure' && now === 'success') {
    const changes = ticketChanges(a, b);
    const what = changes.length
      ? `the original presented ${ticketWords(a)}; the replay's is ${ticketWords(b)} (${changes.join(', ')})`
      : a && b
        ? `both presented ${ticketWords(a)}: the difference is on the server's side (its keys, its replay cache, its clock)`
        : `the original ${a ? `presented ${ticketWords(a)}` : 'carried no ticket the bench could read'}`;
    return `the original failed (${original.verdict.code ? `${original.verdict.code}: ` : ''}${original.verdict.reason}) and the replay succeeded — ${what}`;
  }
  if (was === 'success' && now === 'failure') return `the original succeeded and the replay failed: ${replay.verdict.reason}`;
  return `the outcome changed: ${verdictText(original)} → ${verdictText(replay)}`;
}

/** Compares a captured (or earlier) Exchange with its replay, aspect by aspect. */
export function diffExchanges(original: Exchange, replay: Exchange): ExchangeDiff {
  const a = presentedTicket(original);
  const b = presentedTicket(replay);
  const packets = [original, replay].map((e) => e.steps.map(packetLabel));
  const codes = [original, replay].map((e) => e.steps.flatMap((s) => reasonCodeOf(s) ?? []));
  const kinds = [original, replay].map((e) => e.steps.flatMap((s) => (s.token !== undefined ? [s.tokenKind ?? 'token'] : [])));
  const times = [elapsedOf(original), elapsedOf(replay)] as const;
  const rows = [
    row('verdict', verdictText(original), verdictText(replay)),
    row('ticket sname', ticketName(a), ticketName(b)),
    row('ticket kvno', orDash(a?.kvno), orDash(b?.kvno)),
    row('ticket etype', orDash(a?.etype), orDash(b?.etype)),
    row('rounds', String(roundsOf(original)), String(roundsOf(replay))),
    row('packets', list(packets[0]!), list(packets[1]!)),
    row('reason codes', list(codes[0]!), list(codes[1]!)),
    row('token kinds', list(kinds[0]!), list(kinds[1]!)),
    row('client id', clientIdOf(original), clientIdOf(replay)),
    row('timing', ms(times[0]), ms(times[1]), timingSame(times[0], times[1])),
  ];
  return { rows, summary: summarize(original, replay, rows, a, b) };
}

function summarize(original: Exchange, replay: Exchange, rows: ExchangeDiffRow[], a: PresentedTicket | undefined, b: PresentedTicket | undefined): string[] {
  const summary: string[] = [];
  const outcome = outcomeSummary(original, replay, a, b);
  if (outcome) summary.push(outcome);
  else if (original.verdict.code !== replay.verdict.code) summary.push(`the verdict code changed: ${verdictText(original)} → ${verdictText(replay)}`);
  const changes = ticketChanges(a, b);
  // Already said in the outcome sentence when the replay succeeded where the original failed.
  if (changes.length && !(outcome && original.verdict.outcome === 'failure')) summary.push(`the ticket differs: ${changes.join(', ')}`);
  if (Boolean(a) !== Boolean(b)) summary.push(`only the ${a ? 'original' : 'replay'} presented a ticket the bench could read (${ticketWords(a ?? b)})`);
  for (const aspect of ['packets', 'reason codes', 'rounds', 'token kinds', 'client id', 'timing']) {
    const r = rows.find((x) => x.aspect === aspect)!;
    if (!r.same) summary.push(`${aspect} ${aspect.endsWith('s') ? 'differ' : 'differs'}: ${r.original} (original) vs ${r.replay} (replay)`);
  }
  if (!summary.length) summary.push('no difference in verdict, ticket, rounds, packets, reason codes or token kinds');
  return summary;
}
