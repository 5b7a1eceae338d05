/** `kbench chain test|custom-server`. (Being built: see issue 15.) */
import type { Command } from '../command';
import { chainCustomServerCommand } from './chain-custom-server';
import { chainTestCommand } from './chain-test';

export const chainCommand: Command = {
  name: 'chain',
  summary: 'authentication-method chains as Azure IoT MQ runs them: test a connection, run a sample custom auth server',
  usage: ['chain test FILE.yaml', 'chain custom-server [--port N] [--users FILE.toml]'],
  subcommands: [chainTestCommand, chainCustomServerCommand],
};
