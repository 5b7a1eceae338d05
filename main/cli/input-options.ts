import { parseTokenText } from '../krb/decode/input';
import { UsageError, type Command } from './command';
import { readUserFile } from '../system/files';

/** FILE | --hex H | --base64 B: exactly one. Files are read as bytes; text files of hex/base64 are parsed. */
export async function readInputBytes(file: string | undefined, hex: unknown, base64: unknown, command: Command, what = 'input'): Promise<Buffer> {
  const given = [file !== undefined, hex !== undefined, base64 !== undefined].filter(Boolean).length;
  if (given !== 1) throw new UsageError(`give exactly one ${what}: FILE, --hex or --base64`, command);
  if (hex !== undefined) return parseTokenText(String(hex));
  if (base64 !== undefined) return parseTokenText(String(base64));
  const bytes = await readUserFile(file!);
  return looksLikeText(bytes) ? parseTokenText(bytes.toString('utf8')) : bytes;
}

/** A file holding a pasted token (hex or base64 text) rather than raw bytes. */
function looksLikeText(bytes: Buffer): boolean {
  if (bytes.length === 0 || bytes.length > 1 << 22) return false;
  return /^[\x20-\x7e\r\n\t]+$/.test(bytes.toString('latin1'));
}
