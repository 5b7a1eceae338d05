/** PLACEHOLDER: `kbench export` (built by its owner). */
import type { Command } from '../command';

export const exportCommand: Command = {
  name: 'export',
  summary: '(being built)',
  usage: ['export'],
  async run() {
    throw new Error('not built yet');
  },
};
