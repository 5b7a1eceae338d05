/**
 * `kbench replay EXCHANGE.json --to mqtt://host:port (--verbatim | --fresh | --lab)`: replays a
 * saved Exchange's client side through the capture service and prints the diff against the
 * original side by side (--json: `{ original, replay, diff }` plus the notes).
 */
import type { ReplayMode, ReplayResult } from '../../api/capture';
import type { Exchange } from '../../api';
import { logSafe } from '../../system/log-safe';
import { EXIT_FAILURE, EXIT_OK, UsageError, type Command } from '../command';
import { invokeService } from '../invoke';
import { json, padEnd, palette, useColour } from '../format';

/** Column width of the original's and the replay's values before they wrap onto the next line. */
const VALUE_WIDTH = 44;

function pick(exchanges: Exchange[], id: string | undefined, file: string): Exchange {
  if (id) {
    const found = exchanges.find((e) => e.id === id);
    if (!found) throw new UsageError(`${file} holds no exchange ${id} (it holds ${exchanges.map((e) => e.id).join(', ')})`);
    return found;
  }
  if (exchanges.length !== 1) throw new UsageError(`${file} holds ${exchanges.length} exchanges: choose one with --exchange ID (${exchanges.map((e) => e.id).join(', ')})`);
  return exchanges[0]!;
}

function modeOf(values: Record<string, unknown>): ReplayMode {
  const modes = (['verbatim', 'fresh', 'lab'] as const).filter((m) => values[m]);
  if (modes.length !== 1) throw new UsageError('choose one of --verbatim, --fresh and --lab', replayCommand);
  return modes[0]!;
}

/** Splits a value into lines of at most `width` characters (at spaces where it can). */
function wrapText(text: string, width: number): string[] {
  const lines: string[] = [];
  let rest = text;
  while (rest.length > width) {
    const cut = rest.lastIndexOf(' ', width);
    const at = cut > width / 2 ? cut : width;
    lines.push(rest.slice(0, at));
    rest = rest.slice(at).trimStart();
  }
  lines.push(rest);
  return lines;
}

/** The diff as a table: aspect, original, replay, and a mark where they differ. */
export function diffTable(result: ReplayResult, colour: boolean): string {
  const p = palette(colour);
  const aspectWidth = Math.max(...result.diff.rows.map((r) => r.aspect.length), 'aspect'.length) + 2;
  const out = [p.bold(`${padEnd('aspect', aspectWidth)}${padEnd('original', VALUE_WIDTH + 2)}replay`)];
  for (const row of result.diff.rows) {
    const left = wrapText(logSafe(row.original), VALUE_WIDTH);
    const right = wrapText(logSafe(row.replay), VALUE_WIDTH);
    const mark = row.same ? ' ' : p.bad('≠');
    for (let i = 0; i < Math.max(left.length, right.length); i++) {
      out.push(`${i === 0 ? mark : ' '} ${padEnd(i === 0 ? row.aspect : '', aspectWidth - 2)}${padEnd(left[i] ?? '', VALUE_WIDTH + 2)}${right[i] ?? ''}`);
    }
  }
  const verdict = result.replay.verdict;
  const said = `\nreplay: ${verdict.outcome === 'success' ? p.ok(verdict.outcome) : p.bad(verdict.outcome)}${verdict.code ? ` (${logSafe(verdict.code)})` : ''}: ${logSafe(verdict.reason)}\n`;
  const summary = result.diff.summary.map((line) => `  • ${logSafe(line)}`).join('\n');
  const notes = result.notes.length ? `\n${p.dim(result.notes.map((n) => `  - ${logSafe(n)}`).join('\n'))}\n` : '';
  return `${out.join('\n')}\n${said}\nwhat differs:\n${summary}\n${notes}`;
}

export const replayCommand: Command = {
  name: 'replay',
  summary: "replay a captured Exchange's client side against a broker and diff it with the original",
  usage: ['replay EXCHANGE.json --to mqtt://host:port (--verbatim | --fresh [--profile lab|system] [--service S@HOST] | --lab) [--exchange ID] [--json]'],
  details: `EXCHANGE.json: a saved Exchange (kbench-exchange), or a bundle of them (kbench-exchanges,
the history's export; choose one with --exchange ID).
--verbatim sends the captured packets' bytes again: a Kerberos server must refuse them (replay
  cache, clock skew, unknown key) and the verdict says which.
--fresh makes new tokens from a profile (default lab) for the captured ticket's service (or
  --service) with the captured client id, Keep Alive and CONNECT properties.
--lab makes a lab realm named like the captured one with the captured principals, kvno and
  enctype, starts a broker listener for the service, and replays fresh against it (--to is not used).
--json prints { original, replay, diff, notes }.`,
  options: {
    to: { type: 'string' },
    verbatim: { type: 'boolean' },
    fresh: { type: 'boolean' },
    lab: { type: 'boolean' },
    profile: { type: 'string' },
    service: { type: 'string' },
    exchange: { type: 'string' },
    json: { type: 'boolean' },
  },
  positionals: { min: 1, max: 1 },
  async run(input) {
    const { values, positionals, io } = input;
    const file = positionals[0]!;
    const mode = modeOf(values);
    const to = typeof values.to === 'string' ? values.to : mode === 'lab' ? 'mqtt://127.0.0.1' : undefined;
    if (!to) throw new UsageError('give the broker to replay against: --to mqtt://host:port', replayCommand);
    const profile = values.profile;
    if (profile !== undefined && profile !== 'lab' && profile !== 'system') throw new UsageError('--profile must be lab or system', replayCommand);
    // The capture service reads saved Exchanges (one, a bundle or an array), as the Capture view opens them.
    const engine = input.engine();
    const { exchanges } = await invokeService(engine, 'capture', 'open', { path: file });
    const exchange = pick(exchanges, typeof values.exchange === 'string' ? values.exchange : undefined, file);
    const result = await invokeService(engine, 'capture', 'replay', {
      exchange,
      to,
      mode,
      ...(profile ? { profile } : {}),
      ...(typeof values.service === 'string' ? { service: values.service } : {}),
    });
    io.stdout(values.json ? json(result) : diffTable(result, useColour(io.isTty, io.env)));
    // A verbatim replay is meant to be refused: it ran, and that is the answer.
    return mode === 'verbatim' || result.replay.verdict.outcome === 'success' ? EXIT_OK : EXIT_FAILURE;
  },
};
