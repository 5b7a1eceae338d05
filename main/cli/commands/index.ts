import type { Command } from '../command';
import { doctorCommand } from './doctor';
import { startCommand } from './start';
import { webCommand } from './web';

/** Every top-level `kbench` command, in the order `kbench --help` lists them. */
export const commands: Command[] = [doctorCommand, webCommand, startCommand];
