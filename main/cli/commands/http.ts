/** `kbench http serve|probe|role-mapping`: SPNEGO over HTTP. (Being built: see issue 14.) */
import type { Command } from '../command';
import { httpProbeCommand } from './http-probe';

export const httpCommand: Command = {
  name: 'http',
  summary: 'SPNEGO over HTTP: an Elasticsearch-style or web-SSO endpoint, a Negotiate probe, role mappings',
  usage: ['http probe URL'],
  subcommands: [httpProbeCommand],
};
