/** `kbench spn predict URL`. (Being built: see issue 14.) */
import type { Command } from '../command';

export const spnCommand: Command = {
  name: 'spn',
  summary: 'Which SPN each client stack asks for, and whether the KDC and keytab agree',
  usage: ['spn predict URL'],
  subcommands: [],
};
