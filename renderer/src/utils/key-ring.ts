/**
 * The Decoder's keys in words, and what of them may be kept: keytab and ccache files by path
 * (a file picked in the browser is bytes, and a keytab's bytes are keys), never passwords or
 * raw keys. Also the key-match verdicts of Explain keys in words, not only as a colour.
 */
import type { FileSource, KeyMatchVerdict, KeySource } from '@api/index';

export function fileLabel(source: FileSource): string {
  return 'path' in source ? source.path : source.name;
}

/** What the keys panel shows for a key (no secrets): "keytab /…/service.keytab", "password for alice@R". */
export function keyLabel(key: KeySource): string {
  switch (key.kind) {
    case 'keytab':
      return `keytab ${fileLabel(key.source)}`;
    case 'ccache':
      return `ccache ${fileLabel(key.source)}`;
    case 'password':
      return `password for ${key.principal ?? 'the client the input names'}${key.salt ? ` (salt ${key.salt})` : ''}`;
    case 'raw':
      return `raw key ${key.key.split(':')[0]}`;
  }
}

/** A key as it may be written to the workspace: a keytab or ccache by path. */
export interface KeptKey {
  kind: 'keytab' | 'ccache';
  path: string;
}

/** The keys that can be kept, and how many cannot (passwords, raw keys, files picked as bytes). */
export function keptKeys(keys: readonly KeySource[]): { kept: KeptKey[]; left: number } {
  const kept: KeptKey[] = [];
  for (const key of keys) if ((key.kind === 'keytab' || key.kind === 'ccache') && 'path' in key.source) kept.push({ kind: key.kind, path: key.source.path });
  return { kept, left: keys.length - kept.length };
}

/** Kept keys back as key sources (anything else in the saved value is ignored). */
export function keySourcesOf(saved: unknown): KeySource[] {
  if (!Array.isArray(saved)) return [];
  return saved.flatMap((k: Partial<KeptKey> | null): KeySource[] =>
    k && (k.kind === 'keytab' || k.kind === 'ccache') && typeof k.path === 'string' && k.path ? [{ kind: k.kind, source: { path: k.path } }] : [],
  );
}

/** One keytab entry's verdict on a ticket, in words: "decrypts the ticket", "wrong key: same enctype, does not decrypt" … */
export function verdictWords(v: KeyMatchVerdict): string {
  if (v.decrypts === true) {
    const differs = [!v.principalMatches && 'principal', !v.kvnoMatches && 'kvno'].filter(Boolean);
    return differs.length ? `decrypts the ticket (its ${differs.join(' and ')} differ${differs.length === 1 ? 's' : ''})` : 'decrypts the ticket';
  }
  if (v.decrypts === false) {
    const why = !v.kvnoMatches ? 'another kvno' : !v.principalMatches ? 'another principal' : 'another key with the same kvno';
    return `wrong key: same enctype, does not decrypt (${why})`;
  }
  return v.enctypeMatches ? 'not tried: the bench cannot use this enctype' : 'not tried: another enctype than the ticket';
}
