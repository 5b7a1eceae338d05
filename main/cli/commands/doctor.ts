import type { DoctorItem } from '../../api/system';
import { EXIT_FAILURE, EXIT_OK, type Command } from '../command';
import { json, padEnd, palette, useColour } from '../format';

function render(items: DoctorItem[], colour: boolean): string {
  const p = palette(colour);
  const idWidth = Math.max(...items.map((i) => i.id.length)) + 2;
  const lines = items.map((item) => {
    const mark = item.ok ? p.ok('ok  ') : item.level === 'required' ? p.bad('FAIL') : p.bad('warn');
    const head = `${mark} ${padEnd(item.id, idWidth)}${item.detail}`;
    return item.ok || !item.fix ? head : `${head}\n${' '.repeat(5 + idWidth)}${p.dim('fix: ')}${item.fix}`;
  });
  const failedRequired = items.filter((i) => !i.ok && i.level === 'required').length;
  const warnings = items.filter((i) => !i.ok && i.level !== 'required').length;
  const summary =
    failedRequired > 0
      ? p.bad(`${failedRequired} required check(s) failed`)
      : p.ok(`all required checks pass`) + (warnings ? `, ${warnings} warning(s)` : '');
  return `${lines.join('\n')}\n\n${summary} (${items.length} checks)\n`;
}

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'check the tools, libraries and Kerberos settings the bench needs',
  usage: ['doctor [--json]'],
  details: 'Exit code 1 when a required check fails. --json prints an array of { id, title, ok, level, detail, fix, version?, path? }.',
  options: { json: { type: 'boolean' } },
  async run({ values, io, engine }) {
    const items = await engine().api.system.doctor();
    io.stdout(values.json ? json(items) : render(items, useColour(io.isTty, io.env)));
    return items.some((i) => !i.ok && i.level === 'required') ? EXIT_FAILURE : EXIT_OK;
  },
};
