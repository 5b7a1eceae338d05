import type { DoctorItem, DoctorLevel, DoctorStatus } from '../../api/system';
import { EXIT_FAILURE, EXIT_OK, type Command } from '../command';
import { json, padEnd, palette, useColour, type Palette } from '../format';

const LEVELS: readonly DoctorLevel[] = ['required', 'recommended', 'info'];

/** The status word as the Doctor view shows it: ok, warn, fail. */
function statusMark(status: DoctorStatus, p: Palette): string {
  const word = padEnd(status, 5);
  return status === 'ok' ? p.ok(word) : p.bad(word);
}

/** "9/9 required checks pass · 5/6 recommended checks pass · 2/3 info checks pass", as the view's summary cards. */
function levelCounts(items: DoctorItem[]): string {
  return LEVELS.map((level) => {
    const of = items.filter((i) => i.level === level);
    return `${of.filter((i) => i.ok).length}/${of.length} ${level} checks pass`;
  }).join(' · ');
}

function render(items: DoctorItem[], colour: boolean): string {
  const p = palette(colour);
  const idWidth = Math.max(...items.map((i) => i.id.length)) + 2;
  const levelWidth = Math.max(...LEVELS.map((l) => l.length)) + 2;
  const indent = ' '.repeat(6 + levelWidth + idWidth);
  const lines = items.map((item) => {
    const head = `${statusMark(item.status, p)} ${padEnd(item.level, levelWidth)}${padEnd(item.id, idWidth)}${item.detail}`;
    return item.ok || !item.fix ? head : `${head}\n${indent}${p.dim('fix: ')}${item.fix}`;
  });
  const failed = items.filter((i) => i.status === 'fail').length;
  const warnings = items.filter((i) => i.status === 'warn').length;
  const verdict = failed > 0 ? p.bad(`${failed} required check(s) failed`) : p.ok('all required checks pass') + (warnings ? `, ${warnings} warning(s)` : '');
  return `${lines.join('\n')}\n\n${levelCounts(items)}\n${verdict} (${items.length} checks)\n`;
}

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'check the tools, libraries and Kerberos settings the bench needs',
  usage: ['doctor [--json]'],
  details:
    'Each line: status (ok, warn, fail — the Doctor view\'s words), level (required, recommended, info), id, what was found,\n' +
    'and the fix when it is not ok. A failing required check is "fail"; any other check that is not ok is "warn".\n' +
    'Exit code 1 when a required check fails. --json prints an array of { id, title, ok, level, status, detail, fix, version?, path? }.',
  options: { json: { type: 'boolean' } },
  async run({ values, io, engine }) {
    const items = await engine().api.system.doctor();
    io.stdout(values.json ? json(items) : render(items, useColour(io.isTty, io.env)));
    return items.some((i) => i.status === 'fail') ? EXIT_FAILURE : EXIT_OK;
  },
};
