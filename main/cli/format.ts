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
