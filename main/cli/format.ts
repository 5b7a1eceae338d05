/** Terminal output helpers: aligned columns and optional colour (never when piped or NO_COLOR). */

export interface Palette {
  ok(text: string): string;
  bad(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

const wrap = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;

export function palette(enabled: boolean): Palette {
  if (!enabled) return { ok: (t) => t, bad: (t) => t, dim: (t) => t, bold: (t) => t };
  return { ok: wrap(32, 39), bad: wrap(31, 39), dim: wrap(2, 22), bold: wrap(1, 22) };
}

export function useColour(isTty: boolean, env: NodeJS.ProcessEnv): boolean {
  return isTty && !env.NO_COLOR && env.TERM !== 'dumb';
}

export function padEnd(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** A member of writeJson's object whose list comes a page at a time. */
export class StreamedList {
  constructor(readonly pages: AsyncIterable<readonly unknown[]>) {}
}

const indent = (text: string, by: string): string => text.replaceAll('\n', `\n${by}`);

/**
 * Writes an object exactly as json() prints it (same bytes), but a StreamedList member a page at a
 * time: a list of tens of thousands of rows is never one array nor one string. JSON strings hold
 * no raw newline, so indenting a nested value is a replace of its newlines.
 */
export async function writeJson(write: (text: string) => void, members: Record<string, unknown>): Promise<void> {
  // What JSON.stringify leaves out of an object.
  const entries = Object.entries(members).filter(([, value]) => value !== undefined && typeof value !== 'function' && typeof value !== 'symbol');
  if (entries.length === 0) return write('{}\n');
  for (const [i, [key, value]] of entries.entries()) {
    write(`${i === 0 ? '{' : ','}\n  ${JSON.stringify(key)}: `);
    if (value instanceof StreamedList) await writeList(write, value);
    else write(indent(JSON.stringify(value, null, 2), '  '));
  }
  write('\n}\n');
}

async function writeList(write: (text: string) => void, list: StreamedList): Promise<void> {
  let n = 0;
  for await (const page of list.pages) {
    if (page.length > 0) write(page.map((item) => `${n++ === 0 ? '[' : ','}\n    ${indent(JSON.stringify(item, null, 2), '    ')}`).join(''));
  }
  write(n === 0 ? '[]' : '\n  ]');
}
