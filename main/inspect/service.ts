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
  ExplainKeyOptions,
  KeytabCheckEntry,
  KeytabCheckReport,
  KeytabDocument,
  KeytabEntrySelector,
  KeytabEntrySummary,
  KeytabEntryView,
  KeytabSaveOptions,
  KeytabSaltChoice,
  KeytabService,
  NewKeytabEntries,
} from '../api/inspect';
import { describeSalt, enctypeUsesSalt, identifySalt, saltCandidates, saltOf } from '../krb/ad-salt';
import { getEnctype, SUPPORTED_ENCTYPES } from '../krb/crypto';
import { BenchFailure } from '../engine/failure';
import { wrongInputMessage } from '../krb/identify';
import { parseCcache } from '../krb/ccache';
import { recoverKeytab, type RecoveredKeytab } from '../krb/keytab-recovery';
import { isPrintableText, parseTokenText } from '../krb/decode/input';
import { parseRawKey, type KeySpec } from '../krb/decode/session';
import { KrbCryptoError, KrbDecodeError } from '../krb/errors';
import {
  checkPassword,
  KEYTAB_V2,
  keytabEntryFromPassword,
  keytabEntryRandom,
  mergeKeytabs,
  parseKeytab,
  samePrincipal,
  sameSlot,
  summarizeEntry,
  writeKeytab,
  type Keytab,
  type KeytabEntry,
} from '../krb/keytab';
import { enctypeId, enctypeName, parsePrincipal, type Principal } from '../krb/names';
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

/** A whole keytab: a damaged one fails (one line naming the file, field and byte offset) rather than being recovered. */
async function readWholeKeytab(source: FileSource): Promise<{ name: string; keytab: Keytab }> {
  const { name, bytes } = await load(source, 'keytab');
  return { name, keytab: parseAs(bytes, name, 'keytab', 'a keytab', () => parseKeytab(bytes).keytab) };
}

/** The entries a selector names; a principal without a realm matches in any realm. */
function selectEntries(selector: KeytabEntrySelector): (entry: KeytabEntry) => boolean {
  const principal = userFacing(() => parsePrincipal(selector.principal));
  const anyRealm = !/(^|[^\\])@/.test(selector.principal);
  const enctype = selector.enctype === undefined ? undefined : enctypeId(selector.enctype);
  if (selector.enctype !== undefined && enctype === undefined) throw new BenchFailure(`unknown enctype "${selector.enctype}"`, { field: 'enctype' });
  return (e) =>
    samePrincipal(e.principal, anyRealm ? { ...principal, realm: e.principal.realm } : principal) &&
    (selector.kvno === undefined || e.kvno === selector.kvno) &&
    (enctype === undefined || e.enctype === enctype);
}

const DEFAULT_ENCTYPES = ['aes256-cts-hmac-sha1-96', 'aes128-cts-hmac-sha1-96'];
/** What ktpass -crypto ALL writes for a modern account: AES256, AES128 and RC4. */
const KTPASS_ENCTYPES = [...DEFAULT_ENCTYPES, 'arcfour-hmac'];

/** The salt new password-derived entries get: the one given, the one `saltType` names, or MIT's default (undefined). */
function newEntrySalt(principal: Principal, spec: NewKeytabEntries): string | undefined {
  if (spec.salt !== undefined && spec.saltType !== undefined) throw new BenchFailure('give a salt or a salt type, not both');
  if (spec.password === undefined && (spec.salt !== undefined || spec.saltType !== undefined || spec.account !== undefined)) {
    throw new BenchFailure('a salt only applies to keys derived from a password: give the password, or leave the salt out for random keys');
  }
  if (spec.saltType === undefined || spec.saltType === 'mit') {
    if (spec.account !== undefined) throw new BenchFailure('an account names an AD salt: choose the AD user/service or AD computer salt with it');
    return spec.salt;
  }
  if (!spec.account) throw new BenchFailure(`the ${spec.saltType === 'ad-computer' ? 'AD computer' : 'AD account'} salt needs the account name (sAMAccountName${spec.saltType === 'ad-computer' ? ', e.g. ws1$' : ', e.g. svc-mqtt'})`);
  return saltOf(principal, spec.saltType, spec.account).salt;
}

/**
 * One entry against a password: the salt chosen first (MIT's default unless `choice`), then the
 * other candidates (ad-salt.ts), so a key made with another salt still matches and says which.
 */
/** The entry as a check row names it (no timestamp, no key). */
function checkRow(entry: KeytabEntry): Pick<KeytabCheckEntry, 'principal' | 'kvno' | 'enctype' | 'enctypeId'> {
  const { principal, kvno, enctype, enctypeId } = summarizeEntry(entry);
  return { principal, kvno, enctype, enctypeId };
}

function checkEntrySalts(entry: KeytabEntry, password: string, choice: KeytabSaltChoice | undefined): KeytabCheckEntry {
  const summary = checkRow(entry);
  const type = getEnctype(entry.enctype);
  if (!type) return { ...summary, match: false, note: `${enctypeName(entry.enctype)} keys cannot be derived by the bench` };
  if (!enctypeUsesSalt(entry.enctype)) {
    const key = type.stringToKey(password, '');
    return { ...summary, match: key.equals(entry.key) };
  }
  if (choice && choice.saltType !== 'mit' && !choice.account) throw new BenchFailure('the AD salt needs the account name (sAMAccountName)');
  const chosen = choice ? saltOf(entry.principal, choice.saltType, choice.account) : saltOf(entry.principal, 'mit');
  const candidates = [chosen, ...saltCandidates(entry.principal, choice?.account).filter((c) => c.salt !== chosen.salt)];
  const found = identifySalt(entry.key, entry.enctype, password, candidates);
  if (!found) return { ...summary, match: false };
  const salt = { used: found.salt, kind: found.kind, ...(found.account ? { account: found.account } : {}) };
  const other = found.salt !== chosen.salt ? { note: `made with ${describeSalt(found)}, not ${describeSalt(chosen)}` } : {};
  return { ...summary, match: true, salt, ...other };
}

export class KeytabServiceImpl implements KeytabService {
  async read(source: FileSource, revealKeys: boolean): Promise<KeytabDocument> {
    const { name, bytes, keytab, recovered } = await readKeytab(source, revealKeys);
    // Show the file as it is (not re-written), so offsets match the user's bytes.
    const tree = recovered ? recovered.tree : parseKeytab(bytes, { revealKeys }).tree;
    return { ...keytabDocument(name, keytab, revealKeys), base64: bytes.toString('base64'), tree, ...(recovered ? { damage: recovered.summary } : {}) };
  }

  /**
   * Adds keys (from the password, or random) as ktutil and ktpass do, at the end; an entry already
   * in the same slot (principal, kvno, enctype) is dropped for the new one and `replaced` counts them.
   */
  async add(source: FileSource | null, spec: NewKeytabEntries, revealKeys: boolean): Promise<KeytabDocument & { replaced: number }> {
    const base = source ? await readKeytab(source) : { name: 'new.keytab', keytab: { version: KEYTAB_V2, entries: [] } as Keytab };
    const principal = parsePrincipal(spec.principal);
    if (!principal.realm) throw new BenchFailure(`"${spec.principal}" has no realm: write it as name@REALM`);
    const salt = newEntrySalt(principal, spec);
    const names = spec.enctypes ?? (spec.saltType === 'ad-user' || spec.saltType === 'ad-computer' ? KTPASS_ENCTYPES : DEFAULT_ENCTYPES);
    const ids = names.map((name) => {
      const id = enctypeId(name);
      // `field` names the input at fault: the CLI answers with a usage error (exit 2), as for its own options.
      if (id === undefined) throw new BenchFailure(`unknown enctype "${name}"`, { field: 'enctypes' });
      if (!SUPPORTED_ENCTYPES.includes(id)) throw new BenchFailure(`the bench cannot make ${enctypeName(id)} keys; it makes ${SUPPORTED_ENCTYPES.map(enctypeName).join(', ')}`, { field: 'enctypes' });
      return id;
    });
    const timestamp = Math.floor(Date.now() / 1000);
    const added = userFacing(() =>
      ids.map((id) => (spec.password !== undefined ? keytabEntryFromPassword(principal, spec.password, id, spec.kvno, salt, timestamp) : keytabEntryRandom(principal, id, spec.kvno, timestamp))),
    );
    const kept = base.keytab.entries.filter((e) => !added.some((a) => sameSlot(a, e)));
    const replaced = base.keytab.entries.length - kept.length;
    return { ...keytabDocument(base.name, { version: KEYTAB_V2, entries: [...kept, ...added] }, revealKeys), replaced };
  }

  async remove(source: FileSource, which: number[] | KeytabEntrySelector, revealKeys: boolean): Promise<KeytabDocument & { removed: KeytabEntrySummary[] }> {
    if (Array.isArray(which)) {
      const { name, keytab } = await readKeytab(source);
      const drop = new Set(which);
      const removed = keytab.entries.filter((_e, i) => drop.has(i)).map((e) => summarizeEntry(e, revealKeys));
      return { ...keytabDocument(name, { ...keytab, entries: keytab.entries.filter((_e, i) => !drop.has(i)) }, revealKeys), removed };
    }
    const { name, keytab } = await readWholeKeytab(source);
    const matches = selectEntries(which);
    const removed = keytab.entries.filter(matches);
    if (!removed.length) {
      const kvno = which.kvno !== undefined ? ` kvno ${which.kvno}` : '';
      throw new BenchFailure(`no entry of ${name} matches ${which.principal}${kvno}${which.enctype === undefined ? '' : ` ${enctypeName(enctypeId(which.enctype)!)}`}`);
    }
    // Written back whole as 0x0502: holes other tools left disappear.
    const rest: Keytab = { version: KEYTAB_V2, entries: keytab.entries.filter((e) => !matches(e)) };
    return { ...keytabDocument(name, rest, revealKeys), removed: removed.map((e) => summarizeEntry(e, revealKeys)) };
  }

  async merge(sources: FileSource[], revealKeys: boolean): Promise<KeytabDocument & { replaced: number }> {
    const keytabs: Keytab[] = [];
    for (const source of sources) keytabs.push((await readWholeKeytab(source)).keytab);
    const merged = mergeKeytabs(keytabs);
    const total = keytabs.reduce((n, k) => n + k.entries.length, 0);
    return { ...keytabDocument('merged.keytab', merged, revealKeys), replaced: total - merged.entries.length };
  }

  async check(source: FileSource, password: string, salt?: string | KeytabSaltChoice): Promise<KeytabCheckReport> {
    const { keytab } = await readKeytab(source);
    if (typeof salt === 'string') {
      const results = userFacing(() => checkPassword(keytab, password, salt));
      return {
        entries: results.map(({ entry, match }) => ({
          ...checkRow(entry),
          match: match === true,
          ...(match === true && enctypeUsesSalt(entry.enctype) ? { salt: { used: salt, kind: 'given' as const } } : {}),
          ...(match === null ? { note: `${enctypeName(entry.enctype)} keys cannot be derived by the bench` } : {}),
        })),
      };
    }
    return { entries: userFacing(() => keytab.entries.map((entry) => checkEntrySalts(entry, password, salt))) };
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

  async explainKey(input: DecodeInput, keytab: FileSource, options: ExplainKeyOptions = {}): Promise<KeyMatchReport[]> {
    const bytes = await inputBytes(input);
    const { keytab: kt } = await readKeytab(keytab);
    return userFacing(() => explainKeys(bytes, kt.entries, options));
  }
}
