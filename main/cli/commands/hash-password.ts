/** `kbench hash-password`. (Being built: see issue 15.) */
import type { Command } from '../command';

export const hashPasswordCommand: Command = {
  name: 'hash-password',
  summary: 'a PBKDF2-SHA512 password hash as az edge e4k get-password-hash writes it, or check one',
  usage: ['hash-password --password P'],
};
