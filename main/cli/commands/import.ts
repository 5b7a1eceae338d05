/** PLACEHOLDER: `kbench import` (built by its owner). */
import type { Command } from '../command';

export const importCommand: Command = {
  name: 'import',
  summary: '(being built)',
  usage: ['import'],
  async run() {
    throw new Error('not built yet');
  },
};
