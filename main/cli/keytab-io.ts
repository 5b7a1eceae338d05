import { KrbDecodeError } from '../krb/errors';
import { parseKeytab, writeKeytab, type Keytab } from '../krb/keytab';
import { kerberosFilePath, readUserFile, writeFileAtomic } from '../system/files';

/** Reads and decodes a keytab; errors are one line naming the file (and field and byte offset). */
export async function readKeytabFile(name: string, options: { missingIsEmpty?: boolean } = {}): Promise<Keytab> {
  const file = kerberosFilePath(name, 'keytab');
  let bytes: Buffer;
  try {
    bytes = await readUserFile(file);
  } catch (error) {
    if (options.missingIsEmpty && /: no such file$/.test((error as Error).message)) return { version: 0x502, entries: [] };
    throw error;
  }
  try {
    return parseKeytab(bytes).keytab;
  } catch (error) {
    if (error instanceof KrbDecodeError) throw new Error(`${file}: ${error.message}`);
    throw error;
  }
}

/** Writes a keytab atomically (temp file + rename); new files are 0600. */
export async function writeKeytabFile(name: string, keytab: Keytab): Promise<void> {
  await writeFileAtomic(kerberosFilePath(name, 'keytab'), writeKeytab(keytab));
}
