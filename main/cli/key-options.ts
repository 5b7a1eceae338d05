import type { KeySource } from '../api/inspect';
import { UsageError, type Command, type CommandInput } from './command';
import { kerberosFilePath } from '../system/files';
import { readKeytabFile } from '../system/keytab-file';

/** The key options shared by decode and explain-key. */
export const keyOptions = {
  keytab: { type: 'string', multiple: true },
  ccache: { type: 'string', multiple: true },
  password: { type: 'string' },
  principal: { type: 'string' },
  salt: { type: 'string' },
  key: { type: 'string', multiple: true },
} as const;

export const KEY_OPTIONS_HELP = `Keys: --keytab KT (repeatable), --ccache CC (repeatable: a client's session keys, which open its
authenticators and AP-REPs, not tickets), --key ETYPE:HEX (repeatable), or --password P [--principal NAME]
[--salt S] (default salt: REALM+name; salts from ETYPE-INFO2 in the input are tried too; without
--principal, the client the input names — cname and realm — is taken).
KBENCH_PASSWORD may hold the password instead of --password (keeps it out of the process list).`;

export async function readKeytabEntries(name: string) {
  return { file: kerberosFilePath(name, 'keytab'), entries: (await readKeytabFile(name)).entries };
}

/** The file and raw-key sources: --keytab, --ccache and --key, each repeatable (decode, capture). */
export function fileAndRawKeySources(values: CommandInput['values'], command: Command): KeySource[] {
  const keys: KeySource[] = [];
  for (const name of (values.keytab as string[] | undefined) ?? []) keys.push({ kind: 'keytab', source: { path: name } });
  for (const name of (values.ccache as string[] | undefined) ?? []) keys.push({ kind: 'ccache', source: { path: name } });
  for (const key of (values.key as string[] | undefined) ?? []) {
    if (!/^[^:]+:[0-9a-fA-F]+$/.test(key)) throw new UsageError(`--key: "${key}" is not ETYPE:HEX (e.g. aes256-cts-hmac-sha1-96:0011…)`, command);
    keys.push({ kind: 'raw', key });
  }
  return keys;
}

/** The key sources the decoder service takes, from --keytab/--ccache/--key/--password/--principal/--salt. */
export function keySourcesFrom(input: CommandInput, command: Command): KeySource[] {
  const { values, io } = input;
  const keys = fileAndRawKeySources(values, command);
  const password = (values.password as string | undefined) ?? io.env.KBENCH_PASSWORD;
  if (password !== undefined) {
    const principal = values.principal as string | undefined;
    keys.push({ kind: 'password', password, ...(principal ? { principal } : {}), ...(values.salt !== undefined ? { salt: values.salt as string } : {}) });
  }
  return keys;
}
