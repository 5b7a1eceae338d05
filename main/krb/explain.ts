/**
 * Key-match explanation: given a ticket and a keytab, one verdict per keytab entry (principal,
 * kvno, enctype, does it decrypt?) and one sentence that says what is wrong — the question
 * "Request ticket server … not found in keytab" leaves users asking.
 */
import { describeSalt, enctypeUsesSalt, identifySalt, saltCandidates, type SaltCandidate } from './ad-salt';
import { getEnctype } from './crypto';
import { KrbCryptoError } from './errors';
import type { KeytabEntry } from './keytab';
import type { Ticket } from './messages/ticket';
import { enctypeName, formatName, formatPrincipal } from './names';
import type { KeyMatchExplanation, KeyMatchVerdict, SaltReport } from './reports';
import { KeyUsage } from './usages';

export type { KeyMatchExplanation, KeyMatchVerdict };

/** The service's password (and its AD account): with them, a key that does not decrypt is told by its salt. */
export interface ExplainSaltOptions {
  password?: string;
  /** sAMAccountName of the account the service principal belongs to (AD): its salts are tried. */
  account?: string;
}

function tryDecrypt(entry: Pick<KeytabEntry, 'enctype' | 'key'>, cipher: Buffer): boolean | null {
  const enctype = getEnctype(entry.enctype);
  if (!enctype) return null;
  try {
    enctype.decrypt(entry.key, KeyUsage.TICKET_ENC_PART, cipher);
    return true;
  } catch (error) {
    if (error instanceof KrbCryptoError) return false;
    throw error;
  }
}

const saltReport = (c: SaltCandidate): SaltReport => ({ used: c.salt, kind: c.kind, ...(c.account ? { account: c.account } : {}) });

/** The salt (among the candidates) whose key from `password` decrypts the ticket: the one the KDC used. */
function kdcSaltOf(ticket: Ticket, password: string, candidates: readonly SaltCandidate[]): SaltCandidate | null {
  const enctype = getEnctype(ticket.encPart.etype);
  if (!enctype || !enctypeUsesSalt(ticket.encPart.etype)) return null;
  return candidates.find((c) => tryDecrypt({ enctype: ticket.encPart.etype, key: enctype.stringToKey(password, c.salt) }, ticket.encPart.cipher) === true) ?? null;
}

function list(values: Iterable<string | number>): string {
  return [...new Set(values)].join(', ');
}

export function explainKeyMatch(ticket: Ticket, entries: readonly KeytabEntry[], options: ExplainSaltOptions = {}): KeyMatchExplanation {
  const server = `${formatName(ticket.sname.nameString)}@${ticket.realm}`;
  const { etype, kvno } = ticket.encPart;
  // kvno absent or 0 means "any version" to MIT's keytab lookup.
  const ticketKvno = kvno === undefined || kvno === 0 ? null : kvno;

  const verdicts: KeyMatchVerdict[] = entries.map((entry) => {
    const principalMatches = formatPrincipal(entry.principal) === server;
    const enctypeMatches = entry.enctype === etype;
    return {
      principal: formatPrincipal(entry.principal),
      kvno: entry.kvno,
      enctype: enctypeName(entry.enctype),
      enctypeId: entry.enctype,
      principalMatches,
      kvnoMatches: ticketKvno === null || entry.kvno === ticketKvno,
      enctypeMatches,
      decrypts: enctypeMatches ? tryDecrypt(entry, ticket.encPart.cipher) : null,
    };
  });
  const summary = { server, enctype: enctypeName(etype), enctypeId: etype, kvno: ticketKvno };
  const ok = verdicts.some((v) => v.principalMatches && v.kvnoMatches && v.enctypeMatches && v.decrypts === true);
  const conclusion = conclude(summary, verdicts, ok);
  if (ok || options.password === undefined) return { ticket: summary, verdicts, ok, conclusion };
  // Same name, kvno and enctype, and still the key fails: the password tells which salt each side used.
  const candidates = saltCandidates({ realm: ticket.realm, components: ticket.sname.nameString }, options.account);
  const wrongKeys = verdicts.filter((v) => v.principalMatches && v.kvnoMatches && v.enctypeMatches && v.decrypts === false);
  wrongKeys.forEach((v) => {
    const entry = entries[verdicts.indexOf(v)]!;
    const found = identifySalt(entry.key, entry.enctype, options.password!, candidates);
    if (found) v.salt = saltReport(found);
  });
  if (wrongKeys.length === 0) return { ticket: summary, verdicts, ok, conclusion };
  const kdc = kdcSaltOf(ticket, options.password, candidates);
  const withSalt = { ticket: summary, verdicts, ok, conclusion: saltConclusion(summary, wrongKeys, kdc, options.account) ?? conclusion };
  return kdc ? { ...withSalt, kdcSalt: saltReport(kdc) } : withSalt;
}

/** The sentence when the password names the salts: the entry's and the KDC's. */
function saltConclusion(ticket: KeyMatchExplanation['ticket'], wrongKeys: KeyMatchVerdict[], kdc: SaltCandidate | null, account: string | undefined): string | undefined {
  const made = wrongKeys.find((v) => v.salt);
  const entry = `The keytab entry for ${ticket.server} (${ticket.kvno === null ? 'no kvno' : `kvno ${ticket.kvno}`}, ${ticket.enctype})`;
  if (made?.salt && kdc) {
    const fix = kdc.kind === 'mit' ? 'rebuild it with the MIT default salt' : `rebuild it with the AD salt (kbench keytab add … --ad-account ${kdc.account ?? '?'}${kdc.kind === 'ad-computer' ? ' --computer' : ''})`;
    return `${entry} was made with ${describeSalt(made.salt)}, but the KDC encrypts with the key of ${describeSalt(kdc)}: same password, different salt — ${fix}.`;
  }
  if (made?.salt) {
    const hint = account ? `nor with the salts of account ${account}` : 'nor with an AD salt the bench can guess — an AD service account salts with REALM + its sAMAccountName: give the account to try it';
    return `${entry} was made from this password with ${describeSalt(made.salt)}, but the KDC's key is not this password with that salt, ${hint} — or the account's password changed without a kvno change.`;
  }
  if (kdc) {
    return `The KDC encrypts with this password's key of ${describeSalt(kdc)}, but the keytab entry for ${ticket.server} is not that key (nor this password with another salt tried): the keytab came from another password — rebuild it.`;
  }
  return undefined;
}

/** The one sentence that says what is wrong (or right) with these keys for this ticket. */
export function conclude(ticket: KeyMatchExplanation['ticket'], verdicts: KeyMatchVerdict[], ok: boolean): string {
  const { server, enctype, kvno } = ticket;
  const kvnoText = kvno === null ? 'no kvno' : `kvno ${kvno}`;
  if (verdicts.length === 0) return 'The keytab is empty.';
  if (ok) return `The keytab entry for ${server} (${kvnoText}, ${enctype}) decrypts the ticket: this keytab is right for it.`;

  const decrypting = verdicts.find((v) => v.decrypts === true);
  if (decrypting) {
    if (!decrypting.principalMatches) {
      return `The ticket is for ${server}, but it decrypts with the key of ${decrypting.principal}: the service's key is stored under another name (an alias or a renamed principal) — add an entry for ${server}.`;
    }
    return `The ticket says ${kvnoText} but decrypts with the kvno ${decrypting.kvno} key: the kvno numbering is inconsistent (keytab written by a tool that does not track the KDC's kvno); it works with MIT only if the keytab has the same kvno.`;
  }

  const mine = verdicts.filter((v) => v.principalMatches);
  if (mine.length === 0) {
    const lower = verdicts.find((v) => v.principal.toLowerCase() === server.toLowerCase());
    if (lower) return `The keytab has ${lower.principal}, not ${server}: principal names are case-sensitive.`;
    const sameName = verdicts.find((v) => v.principal.split('@')[0] === server.split('@')[0]);
    if (sameName) return `The keytab has ${sameName.principal}, but the ticket is for ${server}: the realm differs.`;
    return `The keytab has no entry for ${server} (it has: ${list(verdicts.map((v) => v.principal))}): wrong keytab, or the client asked for another service name.`;
  }

  const sameKvno = mine.filter((v) => v.kvnoMatches);
  if (sameKvno.length === 0) {
    const kvnos = mine.map((v) => v.kvno);
    const newest = Math.max(...kvnos);
    if (kvno !== null && kvno > newest) {
      return `The ticket is kvno ${kvno}, the keytab has only kvno ${list(kvnos)}: the keytab is out of date (the key was changed after it was exported) — export a fresh keytab.`;
    }
    return `The ticket is kvno ${kvno}, the keytab has only kvno ${list(kvnos)}: the ticket is out of date (issued before the key changed) — the client must get a new ticket (kdestroy; kinit).`;
  }

  const sameEnctype = sameKvno.filter((v) => v.enctypeMatches);
  if (sameEnctype.length === 0) {
    return `The keytab has ${server} ${kvnoText} but not with ${enctype} (only ${list(sameKvno.map((v) => v.enctype))}): add the ${enctype} key to the keytab, or limit the KDC to the enctypes the keytab has.`;
  }
  if (sameEnctype.every((v) => v.decrypts === null)) {
    return `The keytab has the right ${enctype} entry, but the bench cannot test ${enctype} keys.`;
  }
  return `The keytab has ${server} ${kvnoText} ${enctype}, but that key does not decrypt the ticket: same kvno, different key — the principal was recreated or re-keyed without a kvno change, or the keytab came from another password or salt. Export the keytab again.`;
}
