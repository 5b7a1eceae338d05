import { describe, expect, it } from 'vitest';
import { logSafe } from '../../../main/system/log-safe';

describe('logSafe', () => {
  it('writes newlines, carriage returns, tabs and escape sequences as escapes', () => {
    expect(logSafe('evil\n2026-12-06T00:00:00Z forged line\u001b[2J')).toBe('evil\\n2026-12-06T00:00:00Z forged line\\x1b[2J');
    expect(logSafe('a\rb\tc\u0000d\u007fe\u009b31m')).toBe('a\\rb\\tc\\x00d\\x7fe\\x9b31m');
  });

  it('escapes line separators and bidirectional overrides', () => {
    expect(logSafe('x\u2028y\u2029z')).toBe('x\\u2028y\\u2029z');
    expect(logSafe('admin\u202egpj.exe')).toBe('admin\\u202egpj.exe');
    expect(logSafe('\u2066\u2069\u200f')).toBe('\\u2066\\u2069\\u200f');
  });

  it('leaves ordinary text alone, letters of any script included', () => {
    const text = 'alice@BENCH.TEST — Ärger, 日本語, kbench-probe-2dfb0028 127.0.0.1:37200 \\n stays';
    expect(logSafe(text)).toBe(text);
  });
});
