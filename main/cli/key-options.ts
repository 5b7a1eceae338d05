import { KrbCryptoError } from '../krb/errors';
import { parseRawKey, type KeySpec } from '../krb/decode/session';
import { UsageError, type Command, type CommandInput } from './command';
import { kerberosFilePath } from '../system/files';
import { readKeytabFile } from '../system/keytab-file';

/** The key options shared by decode and explain-key. */
export const keyOptions = {
  keytab: { type: 'string', multiple: true },
  password: { type: 'string' },
  principal: { type: 'string' },
  salt: { type: 'string' },
  key: { type: 'string', multiple: true },
} as const;

export const KEY_OPTIONS_HELP = `Keys: --keytab KT (repeatable), --key ETYPE:HEX (repeatable), or --password P --principal NAME
[--salt S] (default salt: REALM+name; salts from ETYPE-INFO2 in the input are tried too).
KBENCH_PASSWORD may hold the password instead of --password (keeps it out of the process list).`;

export async function readKeytabEntries(name: string) {
  return { file: kerberosFilePath(name, 'keytab'), entries: (await readKeytabFile(name)).entries };
}

/** Builds the key specs from --keytab/--key/--password/--principal/--salt. */
export async function keySpecsFrom(input: CommandInput, command: Command): Promise<KeySpec[]> {
  const { values, io } = input;
  const specs: KeySpec[] = [];
  for (const name of (values.keytab as string[] | undefined) ?? []) {
    const { file, entries } = await readKeytabEntries(name);
    specs.push({ kind: 'keytab', label: file, entries });
  }
  for (const text of (values.key as string[] | undefined) ?? []) {
    try {
      specs.push(parseRawKey(text));
    } catch (error) {
      if (error instanceof KrbCryptoError) throw new UsageError(`--key: ${error.message}`, command);
      throw error;
    }
  }
  const password = (values.password as string | undefined) ?? io.env.KBENCH_PASSWORD;
  if (password !== undefined) {
    const principal = values.principal as string | undefined;
    if (!principal) throw new UsageError('--password needs --principal (the salt is made from it)', command);
    specs.push({ kind: 'password', principal, password, ...(values.salt !== undefined ? { salt: values.salt as string } : {}) });
  }
  return specs;
}
