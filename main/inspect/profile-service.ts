/**
 * The `profile` service of the Bench API: a krb5.conf (or kdc.conf) parsed for the krb5.conf view
 * and `kbench krb5conf show`. Reading is the only I/O; describeProfile does the rest.
 */
import type { FileSource } from '../api/inspect';
import type { Krb5ConfDocument, ProfileService } from '../api/profile';
import { BenchFailure } from '../engine/failure';
import { readUserFile } from '../system/files';
import { describeProfile } from './krb5conf';

/** A krb5.conf is a few KiB; anything this big is not one (and would only slow the view). */
const MAX_PROFILE_BYTES = 4 * 1024 * 1024;

/**
 * The text of a profile, or a failure naming the file and the line where it stops being text (a
 * keytab or a ccache opened here by mistake): control bytes other than tab and line breaks, or
 * invalid UTF-8, are never in a krb5.conf anyone wrote.
 */
export function profileText(bytes: Uint8Array, name: string): string {
  if (bytes.length > MAX_PROFILE_BYTES) throw new BenchFailure(`${name}: ${bytes.length} bytes is too big for a krb5.conf (at most ${MAX_PROFILE_BYTES / 1024 / 1024} MiB)`);
  // Not fatal: invalid bytes become U+FFFD, so the first one's line can be told.
  const text = new TextDecoder('utf-8').decode(bytes).replace(/^\uFEFF/, '');
  // eslint-disable-next-line no-control-regex -- control bytes are exactly what this looks for
  const bad = text.search(/[\0-\x08\x0e-\x1f\x7f\uFFFD]/);
  if (bad >= 0) {
    const line = text.slice(0, bad).split('\n').length;
    throw new BenchFailure(`${name}:${line}: not a krb5.conf — line ${line} holds binary data; a krb5.conf is text ([libdefaults], [realms] …)`);
  }
  return text;
}

export class ProfileServiceImpl implements ProfileService {
  async read(source: FileSource): Promise<Krb5ConfDocument> {
    const { name, bytes } = 'path' in source ? { name: source.path, bytes: await readUserFile(source.path) } : { name: source.name, bytes: Buffer.from(source.base64, 'base64') };
    return describeProfile(profileText(bytes, name), name);
  }
}
