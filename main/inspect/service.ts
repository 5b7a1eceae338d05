/**
 * The keytab, ccache and decoder services of the Bench API: the Keytab, Credential cache and
 * Decoder views call these; the CLI uses the same inspect/ functions.
 */
import type {
  CcacheDocument,
  CcacheService,
  DecodedMessage,
  DecodeInput,
  DecodeOptions,
  DecoderService,
  FileSource,
  KeyMatchReport,
  KeySource,
  KeytabCheckReport,
  KeytabDocument,
  KeytabEntrySummary,
  KeytabEntryView,
  KeytabSaveOptions,
  KeytabService,
  NewKeytabEntries,
} from '../api/inspect';
import { BenchFailure } from '../engine/failure';
import { wrongInputMessage } from '../krb/identify';
import { parseCcache } from '../krb/ccache';
import { recoverKeytab, type RecoveredKeytab } from '../krb/keytab-recovery';
import { isPrintableText, parseTokenText } from '../krb/decode/input';
import { parseRawKey, type KeySpec } from '../krb/decode/session';
import { KrbCryptoError, KrbDecodeError } from '../krb/errors';
import {
  checkPassword,
  keytabEntryFromPassword,
  keytabEntryRandom,
  parseKeytab,
  summarizeEntry,
  writeKeytab,
  type Keytab,
} from '../krb/keytab';
import { enctypeId, enctypeName, parsePrincipal } from '../krb/names';
import { kerberosFilePath, readUserFile } from '../system/files';
import { writeKeytabFile } from '../system/keytab-file';
import { credentialStore } from './ccache';
import { clientNamed, decodeBytes, decodeSequence, explainKeys } from './decode';

/** Codec and crypto errors are the user's answer, not a crash: pass their message through. */
function userFacing<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof KrbDecodeError || error instanceof KrbCryptoError || error instanceof RangeError) throw new BenchFailure(error.message);
    throw error;
  }
}

async function load(source: FileSource, what: 'keytab' | 'ccache' | 'file'): Promise<{ name: string; bytes: Buffer }> {
  if ('path' in source) {
    const file = what === 'file' ? source.path : kerberosFilePath(source.path, what);
    return { name: file, bytes: await readUserFile(file) };
  }
  return { name: source.name, bytes: Buffer.from(source.base64, 'base64') };
}

/**
 * Entries with `superseded` set on every key whose kvno is below the newest kvno of the same
 * principal (exact name and realm, as MIT compares), as klist users read a keytab after a rotation.
 */
export function flagSupersededKvnos(entries: readonly KeytabEntrySummary[]): KeytabEntryView[] {
  const newest = new Map<string, number>();
  for (const e of entries) newest.set(e.principal, Math.max(e.kvno, newest.get(e.principal) ?? e.kvno));
  return entries.map((e) => {
    const top = newest.get(e.principal)!;
    if (e.kvno >= top) return { ...e };
    return { ...e, superseded: { newestKvno: top, note: `old kvno ${e.kvno} < ${top}: kept for tickets issued before the key change` } };
  });
}

function keytabDocument(name: string, keytab: Keytab, revealKeys: boolean): KeytabDocument {
  const bytes = writeKeytab(keytab);
  return {
    name,
    version: keytab.version,
    entries: flagSupersededKvnos(keytab.entries.map((e) => summarizeEntry(e, revealKeys))),
    base64: bytes.toString('base64'),
    tree: parseKeytab(bytes, { revealKeys }).tree,
  };
}

/**
 * Parses `bytes` as what the caller wants; when they fail and are recognisably something else (a
 * ccache given as a keytab, a capture), the error says what they are and where they are read.
 */
function parseAs<T>(bytes: Uint8Array, name: string, wanted: 'keytab' | 'ccache', wantedName: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof KrbDecodeError)) throw error;
    throw new BenchFailure(`${name}: ${wrongInputMessage(bytes, wanted, wantedName) ?? error.message}`);
  }
}

interface ReadKeytab {
  name: string;
  keytab: Keytab;
  bytes: Buffer;
  /** Set when the file is damaged: `keytab` holds the entries that could be read (recoverKeytab). */
  recovered?: RecoveredKeytab;
}

/** A keytab, or what can be read of a damaged one; anything else fails saying what it is. */
async function readKeytab(source: FileSource, revealKeys = false): Promise<ReadKeytab> {
  const { name, bytes } = await load(source, 'keytab');
  try {
    return { name, bytes, keytab: parseKeytab(bytes).keytab };
  } catch (error) {
    if (!(error instanceof KrbDecodeError)) throw error;
    const other = wrongInputMessage(bytes, 'keytab', 'a keytab');
    const recovered = other ? undefined : recoverKeytab(bytes, error, { revealKeys });
    if (!recovered) throw new BenchFailure(`${name}: ${other ?? error.message}`);
    return { name, bytes, keytab: recovered.keytab, recovered };
  }
}

export class KeytabServiceImpl implements KeytabService {
  async read(source: FileSource, revealKeys: boolean): Promise<KeytabDocument> {
    const { name, bytes, keytab, recovered } = await readKeytab(source, revealKeys);
    // Show the file as it is (not re-written), so offsets match the user's bytes.
    const tree = recovered ? recovered.tree : parseKeytab(bytes, { revealKeys }).tree;
    return { ...keytabDocument(name, keytab, revealKeys), base64: bytes.toString('base64'), tree, ...(recovered ? { damage: recovered.summary } : {}) };
  }

  async add(source: FileSource | null, spec: NewKeytabEntries, revealKeys: boolean): Promise<KeytabDocument> {
    const base = source ? await readKeytab(source) : { name: 'new.keytab', keytab: { version: 0x502, entries: [] } as Keytab };
    const principal = parsePrincipal(spec.principal);
    if (!principal.realm) throw new BenchFailure(`"${spec.principal}" has no realm: write it as name@REALM`);
    const added = userFacing(() =>
      spec.enctypes.map((name) => {
        const id = enctypeId(name);
        if (id === undefined) throw new BenchFailure(`unknown enctype "${name}"`);
        return spec.password !== undefined
          ? keytabEntryFromPassword(principal, spec.password, id, spec.kvno, spec.salt)
          : keytabEntryRandom(principal, id, spec.kvno);
      }),
    );
    return keytabDocument(base.name, { version: 0x502, entries: [...base.keytab.entries, ...added] }, revealKeys);
  }

  async remove(source: FileSource, indexes: number[], revealKeys: boolean): Promise<KeytabDocument> {
    const { name, keytab } = await readKeytab(source);
    const drop = new Set(indexes);
    return keytabDocument(name, { ...keytab, entries: keytab.entries.filter((_e, i) => !drop.has(i)) }, revealKeys);
  }

  async check(source: FileSource, password: string, salt?: string): Promise<KeytabCheckReport> {
    const { keytab } = await readKeytab(source);
    const results = userFacing(() => checkPassword(keytab, password, salt));
    return {
      entries: results.map(({ entry, match }) => ({
        ...summarizeEntry(entry),
        match: match === true,
        ...(match === null ? { note: `${enctypeName(entry.enctype)} keys cannot be derived by the bench` } : {}),
      })),
    };
  }

  async save(file: string, base64: string, options: KeytabSaveOptions = {}): Promise<{ path: string; bytes: number }> {
    const bytes = Buffer.from(base64, 'base64');
    userFacing(() => parseKeytab(bytes));
    const target = await writeKeytabFile(file, bytes, { replace: options.replace });
    return { path: target, bytes: bytes.length };
  }
}

export class CcacheServiceImpl implements CcacheService {
  async read(source: FileSource): Promise<CcacheDocument> {
    const { name, bytes } = await load(source, 'ccache');
    return userFacing(() => {
      const { report, tree } = parseAs(bytes, name, 'ccache', 'a credential cache', () => credentialStore(bytes));
      return { name, base64: bytes.toString('base64'), tree, ...report };
    });
  }
}

/** A file holding a pasted token (hex or base64 text, a Negotiate header line) rather than raw bytes. */
function looksLikeText(bytes: Buffer): boolean {
  return bytes.length <= 1 << 22 && isPrintableText(bytes);
}

/** What to decode as bytes: pasted text, or a file (raw bytes, or the text of a token saved to one). */
async function inputBytes(input: DecodeInput): Promise<Buffer> {
  if ('text' in input) return userFacing(() => parseTokenText(input.text));
  const { bytes } = await load(input.file, 'file');
  return looksLikeText(bytes) ? userFacing(() => parseTokenText(bytes.toString('utf8'))) : bytes;
}

/** A FILE ccache's session keys, as the SASL client's decoder takes them (anything else fails saying what it is). */
async function ccacheKeys(source: FileSource): Promise<KeySpec> {
  const { name, bytes } = await load(source, 'ccache');
  const { ccache } = userFacing(() => parseAs(bytes, name, 'ccache', 'a credential cache', () => parseCcache(bytes)));
  return { kind: 'ccache', label: name, credentials: ccache.credentials };
}

/** The key specs for a decode; a password without a principal belongs to the client the messages name. */
export async function keySpecs(keys: KeySource[], messages: readonly Uint8Array[]): Promise<KeySpec[]> {
  const specs: KeySpec[] = [];
  for (const key of keys) {
    if (key.kind === 'keytab') {
      const { name, keytab } = await readKeytab(key.source);
      specs.push({ kind: 'keytab', label: name, entries: keytab.entries });
    } else if (key.kind === 'ccache') {
      specs.push(await ccacheKeys(key.source));
    } else if (key.kind === 'raw') {
      specs.push(userFacing(() => parseRawKey(key.key)));
    } else {
      const principal = key.principal ?? userFacing(() => clientNamed(messages));
      if (!principal) throw new BenchFailure('a password needs the principal it belongs to: none was given, and the input names no client (cname and realm)');
      specs.push({ kind: 'password', principal, password: key.password, ...(key.salt ? { salt: key.salt } : {}) });
    }
  }
  return specs;
}

/** Pasted text that is not a token often still parses as base64: say how it was read. */
function readAs<T>(input: DecodeInput, bytes: Buffer, run: () => T): T {
  try {
    return userFacing(run);
  } catch (error) {
    if (error instanceof BenchFailure && 'text' in input && !/^[\s0-9a-fA-F:x,-]+$/.test(input.text)) {
      throw new BenchFailure(`${error.message} — the pasted text was read as base64 (${bytes.length} bytes)`);
    }
    throw error;
  }
}

export class DecoderServiceImpl implements DecoderService {
  async decode(input: DecodeInput, keys: KeySource[], revealSecrets: boolean, options: DecodeOptions = {}): Promise<DecodedMessage> {
    const bytes = await inputBytes(input);
    const specs = await keySpecs(keys, [bytes]);
    const micData = options.micMessage !== undefined ? Buffer.from(options.micMessage, 'base64') : undefined;
    return { ...readAs(input, bytes, () => decodeBytes(bytes, specs, { revealSecrets, ...(micData ? { micData } : {}) })), base64: bytes.toString('base64') };
  }

  async decodeSession(inputs: DecodeInput[], keys: KeySource[], revealSecrets: boolean): Promise<{ messages: DecodedMessage[] }> {
    const all = await Promise.all(inputs.map(inputBytes));
    const specs = await keySpecs(keys, all);
    const reports = readAs(inputs[0]!, all[0]!, () => decodeSequence(all, specs, { revealSecrets }));
    return { messages: reports.map((report, i) => ({ ...report, base64: all[i]!.toString('base64') })) };
  }

  async explainKey(input: DecodeInput, keytab: FileSource): Promise<KeyMatchReport[]> {
    const bytes = await inputBytes(input);
    const { keytab: kt } = await readKeytab(keytab);
    return userFacing(() => explainKeys(bytes, kt.entries));
  }
}
