/**
 * The lab's changes in words: what a change will do (the confirm step before it), what it did
 * (the result beside its button) and what its undo restores. One place, so the Lab view, the CLI
 * and the journal say the same thing.
 */
import path from 'node:path';
import type { LabChangeOperation, LabChangePreview, LabChangeRequest } from '../api/lab';
import { LAB_USER, staleKeytabPath, type LabLayout } from './layout';
import type { DatabasePrincipal } from './principals';

/** What the words need to know about the principal now. */
export interface ChangeContext {
  layout: LabLayout;
  principal: DatabasePrincipal;
  hasPassword: boolean;
  inServiceKeytab: boolean;
}

export type FlagChanges = Pick<Extract<LabChangeRequest, { operation: 'setFlags' }>, 'requiresPreauth' | 'allowTix' | 'expired' | 'passwordExpired'>;

const isAlice = (c: ChangeContext) => c.principal.name === `${LAB_USER}@${c.layout.realm}`;

function rotateEffects(c: ChangeContext): string[] {
  const { name, kvno } = c.principal;
  if (c.principal.kind === 'krbtgt') {
    return [`${name} goes from kvno ${kvno} to ${kvno + 1} (new random keys); the kvno ${kvno} keys are kept (-keepold), so TGTs issued before stay valid.`];
  }
  return [
    `${name} goes from kvno ${kvno} to ${kvno + 1}: new random keys of every enctype (kadmin ktadd).`,
    `The service keytab gets the kvno ${kvno + 1} keys beside the old ones; the old keytab is kept as ${path.basename(staleKeytabPath(c.layout, name, kvno))} (a stale keytab for tests).`,
    `Tickets issued from now on are for kvno ${kvno + 1}; a client's cached kvno ${kvno} ticket still works only with a keytab that has the old key.`,
  ];
}

function removeEffects(c: ChangeContext): string[] {
  const name = c.principal.name;
  return [
    `${name} is deleted from the KDC database (kadmin delprinc): the KDC answers "not found in Kerberos database" for it.`,
    ...(c.inServiceKeytab ? [`Its entries are removed from the service keytab.`] : []),
    ...(isAlice(c) ? [`alice's client keytab is deleted.`] : []),
    ...(c.hasPassword ? [`The lab forgets its password.`] : []),
  ];
}

function passwordEffects(c: ChangeContext): string[] {
  const { name, kvno } = c.principal;
  return [
    `${name} gets keys made from the new password: kvno ${kvno} → ${kvno + 1}; the old password stops working.`,
    ...(isAlice(c) ? [`alice's client keytab is exported again with the new keys.`] : []),
    ...(c.inServiceKeytab ? [`The service keytab gets the kvno ${kvno + 1} keys.`] : []),
  ];
}

export function flagEffects(name: string, flags: FlagChanges): string[] {
  const effects: string[] = [];
  if (flags.requiresPreauth === false) effects.push(`${name} no longer requires pre-authentication (-requires_preauth): the KDC answers an AS-REQ without an encrypted timestamp, and its reply can be cracked offline (AS-REP roasting).`);
  if (flags.requiresPreauth === true) effects.push(`${name} requires pre-authentication (+requires_preauth): an AS-REQ without an encrypted timestamp gets "Additional pre-authentication required".`);
  if (flags.allowTix === false) effects.push(`The KDC issues no tickets to or for ${name} (-allow_tix): kinit as it fails with "Client's credentials have been revoked", a ticket for it with "Server not found in Kerberos database".`);
  if (flags.allowTix === true) effects.push(`The KDC issues tickets to and for ${name} again (+allow_tix).`);
  if (flags.expired !== undefined) effects.push(flags.expired ? `${name} expires (an hour ago): the KDC refuses it as expired.` : `${name} never expires.`);
  if (flags.passwordExpired !== undefined) effects.push(flags.passwordExpired ? `${name}'s password expires (an hour ago): kinit gets "Password has expired".` : `${name}'s password never expires.`);
  return effects;
}

/** What undo restores, for the confirm step and the journal. */
export function undoText(operation: LabChangeOperation, c: ChangeContext): string {
  const { name, kvno } = c.principal;
  const files = [c.inServiceKeytab ? 'its service keytab entries' : '', isAlice(c) ? 'her client keytab' : '', c.hasPassword ? 'the password the lab knew' : ''].filter(Boolean);
  const also = files.length ? `, with ${files.join(', ')}` : '';
  switch (operation) {
    case 'rotateKey':
      return `Undo puts ${name} back to kvno ${kvno} with its old keys${c.principal.kind === 'krbtgt' ? '' : `, and the service keytab back to its kvno ${kvno} entries (the stale copy is removed)`}.`;
    case 'removePrincipal':
      return `Undo restores ${name} with the same keys and kvno ${kvno}${also}.`;
    case 'setPassword':
      return `Undo restores ${name}'s previous keys (kvno ${kvno})${also}.`;
    case 'setFlags':
      return `Undo restores ${name}'s flags and expirations as they are now.`;
  }
}

export function previewChange(request: LabChangeRequest, c: ChangeContext): LabChangePreview {
  const effects =
    request.operation === 'setFlags'
      ? flagEffects(c.principal.name, request)
      : request.operation === 'rotateKey'
        ? rotateEffects(c)
        : request.operation === 'removePrincipal'
          ? removeEffects(c)
          : passwordEffects(c);
  return { operation: request.operation, principal: c.principal.name, effects, undo: undoText(request.operation, c) };
}

/** What a flag change did, in a few words: "alice@R: -allow_tix". */
export function flagSummary(name: string, flags: FlagChanges): string {
  const words = [
    flags.requiresPreauth === undefined ? '' : `${flags.requiresPreauth ? '+' : '-'}requires_preauth`,
    flags.allowTix === undefined ? '' : `${flags.allowTix ? '+' : '-'}allow_tix`,
    flags.expired === undefined ? '' : flags.expired ? 'expired' : 'never expires',
    flags.passwordExpired === undefined ? '' : flags.passwordExpired ? 'password expired' : 'password never expires',
  ].filter(Boolean);
  return `${name}: ${words.join(' ')}`;
}
