/** `kbench http probe URL`. (Being built: see issue 14.) */
import type { Command } from '../command';

export const httpProbeCommand: Command = {
  name: 'probe',
  summary: 'GET a URL with Negotiate and show every header and token',
  usage: ['http probe URL'],
  positionals: { min: 1, max: 1 },
};
