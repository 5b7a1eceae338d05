/**
 * The `lab` service: the bench's own MIT Kerberos realm (default BENCH.TEST) under the data
 * directory, with its KDC on a loopback port. The KDC runs detached: it keeps serving after the
 * process that started it exits, and every process (app, web mode, CLI) finds it again.
 */
import type { KerberosProfile } from '../gss/types';

/** The lab realm a command or view acts on when none is named: the MIT realm, and the Samba AD DC's. */
export const DEFAULT_LAB_REALM = 'BENCH.TEST';
export const DEFAULT_AD_REALM = 'AD.TEST';

export type LabState = 'absent' | 'stopped' | 'running';
/** mit: MIT krb5kdc (default realm BENCH.TEST); ad: a Samba AD domain controller (default realm AD.TEST). */
export type LabKind = 'mit' | 'ad';
export type LabPrincipalKind = 'user' | 'service' | 'krbtgt';

export interface LabPrincipal {
  /** With its realm: "mqtt/localhost@BENCH.TEST". */
  name: string;
  kind: LabPrincipalKind;
  /** The current key version. */
  kvno: number;
  /** Enctypes of the current keys, as MIT names them. */
  enctypes: string[];
  flags: {
    /** +requires_preauth: the KDC wants encrypted-timestamp pre-authentication. */
    requiresPreauth: boolean;
    /** -allow_tix clears it: the KDC issues no tickets for or to this principal. */
    allowTix: boolean;
  };
  /** The lab knows its password (revealPassword gives it). */
  hasPassword: boolean;
  /** Its keys are in the service keytab (with this kvno at most). */
  inServiceKeytab: boolean;
}

/** What a shell exports to act as alice (TGT in KRB5CCNAME) against the lab's services (keys in KRB5_KTNAME). */
export interface LabShellEnv {
  KRB5_CONFIG: string;
  KRB5CCNAME: string;
  KRB5_KTNAME: string;
}

export interface LabStatus {
  realm: string;
  kind: LabKind;
  state: LabState;
  /** The realm's directory (it may not exist yet when absent). */
  dir: string;
  pid: number | null;
  /** The KDC port in krb5.conf (TCP and UDP on 127.0.0.1); null when absent. */
  port: number | null;
  /** "127.0.0.1:PORT", null when absent. */
  kdc: string | null;
  uptimeSeconds: number | null;
  /** Sorted: krbtgt, users, services. Empty when absent. */
  principals: LabPrincipal[];
  keytabs: { service: string; client: string };
  /** Alice's TGT: when it expires (ISO-8601 UTC, KDC time), null when there is none. */
  ccache: { path: string; tgtExpires: string | null };
  krb5Conf: string;
  /** The KDC's clock offset (krb5kdc -T), in seconds. */
  clockOffsetSeconds: number;
  env: LabShellEnv;
  /** Keytabs kept by key rotations: the service keytab as it was before each. */
  staleKeytabs: { path: string; principal: string; kvno: number }[];
  /** The change undo() reverts now (the latest one that can be undone), null when there is none. */
  lastChange: LabChange | null;
  /** An AD realm's domain and accounts; null for an MIT realm (and an absent one). */
  ad: LabDirectory | null;
}

/** What an AD lab adds to the status: the domain as AD names it, and its accounts. */
export interface LabDirectory {
  /** The NetBIOS domain name ("AD"). */
  netbios: string;
  /** The domain's DN ("DC=ad,DC=test"). */
  baseDn: string;
  /** The DC's LDAP (bind as Administrator with revealPassword({ name: 'Administrator' })). */
  ldap: string;
  /** kpasswd on the DC: "127.0.0.1:PORT". */
  kpasswd: string;
  /** User, service and computer accounts the lab made (built-in ones left out), by name. */
  accounts: LabAccount[];
}

export type LabAccountKind = 'user' | 'service' | 'computer';
/**
 * msDS-SupportedEncryptionTypes as the lab sets it: rc4 (4), aes (24: AES128 + AES256), both (28),
 * unset (no attribute: the KDC's default, RC4 tickets for services).
 */
export type LabEnctypeChoice = 'rc4' | 'aes' | 'both' | 'unset';

export interface LabAccount {
  /** sAMAccountName ("svc-mqtt", "ws1$"). */
  name: string;
  kind: LabAccountKind;
  dn: string;
  /** The account's own principal ("svc-mqtt@AD.TEST"). */
  principal: string;
  /** servicePrincipalName values. */
  spns: string[];
  /** msDS-KeyVersionNumber. */
  kvno: number;
  enctypes: LabEnctypeChoice;
  /** The raw attribute, null when unset. */
  supportedEncryptionTypes: number | null;
  userAccountControl: number;
  enabled: boolean;
  /** accountExpires is in the past. */
  expired: boolean;
  /** pwdLastSet = 0: the password must be changed at the next logon. */
  mustChangePassword: boolean;
  /** Pre-authentication required (DONT_REQ_PREAUTH clear). */
  requiresPreauth: boolean;
  /** The salt AD derives this account's AES keys with ("AD.TESTsvc-mqtt", "AD.TESThostws1.ad.test"). */
  salt: string;
  hasPassword: boolean;
  inServiceKeytab: boolean;
}

export type LabNewAccount = LabTarget & {
  name: string;
  /** Default user; service: with `spns`, its keys in the service keytab; computer: name ends with "$". */
  type?: LabAccountKind;
  /** Absent: a random password the lab keeps. */
  password?: string;
  spns?: string[];
  enctypes?: LabEnctypeChoice;
};

export type LabAccountChange = LabTarget & {
  name: string;
  enabled?: boolean;
  expired?: boolean;
  mustChangePassword?: boolean;
  requiresPreauth?: boolean;
  enctypes?: LabEnctypeChoice;
};

/** An account that holds an SPN, as LDAP says. */
export interface LabSpnHolder {
  account: string;
  dn: string;
}

/** The lab operations that change a principal and can be undone. */
export type LabChangeOperation = 'rotateKey' | 'setFlags' | 'removePrincipal' | 'setPassword';

/**
 * A change to one principal the lab can undo: before it, the principal's database entry was dumped
 * (`kdb5_util dump FILE PRINCIPAL`: keys, kvno, flags) and its entries of the lab's keytabs and its
 * password kept; undo loads the entry back (`kdb5_util load -update`) and restores the rest.
 */
export interface LabChange {
  id: string;
  operation: LabChangeOperation;
  principal: string;
  /** What the change did, in words: "mqtt/localhost@BENCH.TEST: kvno 2 → 3". */
  summary: string;
  /** What undo() restores, in words. */
  undo: string;
  /** When it was made (ISO-8601 UTC). */
  at: string;
}

/** A change not made yet: what it will do, for the confirm step before it. */
export type LabChangeRequest = LabTarget & { name: string } & (
    | { operation: 'rotateKey' | 'removePrincipal' | 'setPassword' }
    | { operation: 'setFlags'; requiresPreauth?: boolean; allowTix?: boolean; expired?: boolean; passwordExpired?: boolean }
  );

export interface LabChangePreview {
  operation: LabChangeOperation;
  principal: string;
  /** One sentence per effect, in the order they happen. */
  effects: string[];
  /** What an undo afterwards would restore, in words. */
  undo: string;
}

export interface LabUndoResult {
  /** The change that was undone. */
  change: LabChange;
  /** What was restored, in words. */
  restored: string[];
  status: LabStatus;
}

/** up() also says what it had to do. */
export interface LabUpResult extends LabStatus {
  created: boolean;
  /** The KDC was started (it was not running). */
  started: boolean;
  ticketRefreshed: boolean;
  /** What up() had to fix, in words: leftovers of crashed runs cleaned up, a port moved, a keytab exported again. */
  notes: string[];
  elapsedMs: number;
}

/** Every method takes the realm it acts on; default BENCH.TEST (AD.TEST with kind 'ad'). */
export interface LabTarget {
  realm?: string;
  /**
   * The kind of realm to make when it is absent (up), and the default realm when `realm` is not
   * given. An existing realm keeps its kind: asking for the other one is refused.
   */
  kind?: LabKind;
  /**
   * false: a change the bench reverts by itself (a diagnose scenario) — nothing is kept for undo,
   * so it never crowds the user's own changes out of the undo list. Default true.
   */
  undoable?: boolean;
}

export type LabNewPrincipal = LabTarget & {
  name: string;
} & (
    | {
        /** A user with this password (no keytab). */
        password: string;
      }
    | {
        /** A service with a random key, exported to the service keytab. */
        random: true;
      }
  );

export interface LabRotation {
  principal: string;
  oldKvno: number;
  newKvno: number;
  /** A copy of the service keytab as it was before: this principal's keys up to oldKvno, none of newKvno. Null for krbtgt. */
  staleKeytab: string | null;
  status: LabStatus;
}

export interface LabKeytabExport {
  path: string;
  entries: { principal: string; kvno: number; enctype: string }[];
}

export interface LabLog {
  realm: string;
  path: string;
  lines: string[];
}

export interface LabService {
  /**
   * Idempotent: creates the realm when missing (alice with a random password and her keytab and
   * TGT; mqtt/localhost, HTTP/localhost, hz/127.0.0.1 in the service keytab), starts the KDC when
   * it is not running (a new port when its port was taken), refreshes alice's TGT when it expires
   * within 10 minutes, and first cleans up after crashed runs (orphaned KDCs, temporary realms).
   */
  up(options?: LabTarget): Promise<LabUpResult>;
  /** Stops the KDC; `destroy` also deletes the realm. */
  down(options?: LabTarget & { destroy?: boolean }): Promise<LabStatus>;
  status(options?: LabTarget): Promise<LabStatus>;
  /** The last `lines` (default 200) lines of the KDC log. */
  log(options?: LabTarget & { lines?: number }): Promise<LabLog>;
  addPrincipal(input: LabNewPrincipal): Promise<LabStatus>;
  removePrincipal(input: LabTarget & { name: string }): Promise<LabStatus>;
  /** New password (kvno + 1); the lab's keytabs that held the principal get the new keys. */
  setPassword(input: LabTarget & { name: string; password: string }): Promise<LabStatus>;
  /**
   * New random keys (kvno + 1) for a service, added to the service keytab after a copy of that
   * keytab is kept as `<name>.kvno<old>.keytab` — a stale keytab at hand. krbtgt keeps its old keys
   * (-keepold). Users with a password: use setPassword.
   */
  rotateKey(input: LabTarget & { name: string }): Promise<LabRotation>;
  /**
   * kadmin modprinc: +/-requires_preauth, +/-allow_tix; `expired` / `passwordExpired` set the
   * principal's (or its password's) expiration to an hour ago, or back to never.
   */
  setFlags(input: LabTarget & { name: string; requiresPreauth?: boolean; allowTix?: boolean; expired?: boolean; passwordExpired?: boolean }): Promise<LabStatus>;
  /**
   * Writes a new keytab (replacing `path`) with the current keys of the principals, only the given
   * enctypes when listed — keys stay as they are (ktadd -norandkey). `newKeys` makes new random keys
   * of just those enctypes instead (ktadd -e, kvno + 1; services only), and the service keytab gets
   * them too. The file is written 0600; an existing file that is not a keytab is replaced only
   * with `replace` (the failure's details say `reason: 'not-a-keytab'`).
   */
  exportKeytab(input: LabTarget & { path: string; principals: string[]; enctypes?: string[]; newKeys?: boolean; replace?: boolean }): Promise<LabKeytabExport>;
  /** Restarts the KDC with this clock offset (krb5kdc -T) and refreshes alice's TGT against it. */
  setClockOffset(input: LabTarget & { seconds: number }): Promise<LabStatus>;
  startKdc(options?: LabTarget): Promise<LabStatus>;
  stopKdc(options?: LabTarget): Promise<LabStatus>;
  /** A fresh TGT for alice in the lab ccache. */
  refreshTicket(options?: LabTarget): Promise<LabStatus>;
  /** A user's password, alice's by default: only ever returned by this explicit call. */
  revealPassword(input?: LabTarget & { name?: string }): Promise<{ principal: string; password: string }>;
  /** The realm as a Kerberos profile (GSS workers, SASL): alice's ccache, the service keytab. */
  profile(options?: LabTarget): Promise<KerberosProfile>;
  /** What a change would do (nothing is changed): the text of a confirm step. */
  preview(input: LabChangeRequest): Promise<LabChangePreview>;
  /**
   * Reverts the latest change (rotateKey, setFlags, removePrincipal, setPassword): the principal's
   * database entry as it was (kvno, keys, flags), its entries in the service and client keytabs and
   * its password. With `id`, only if that change is the latest. Refused when the principal was
   * changed since by something that cannot be undone (its kvno, flags or existence differ from
   * what the change left).
   */
  undo(input?: LabTarget & { id?: string }): Promise<LabUndoResult>;

  // ---- AD realms only (an MIT realm refuses them) ----

  /** A user, service or computer account; a service account's SPNs are added and its keys exported to the service keytab. */
  addAccount(input: LabNewAccount): Promise<LabStatus>;
  /** Enable/disable, expire, must-change-at-next-logon, pre-authentication, msDS-SupportedEncryptionTypes. */
  setAccount(input: LabAccountChange): Promise<LabStatus>;
  removeAccount(input: LabTarget & { name: string }): Promise<LabStatus>;
  /**
   * `samba-tool spn add`. AD refuses an SPN another account holds; `force` writes it into the
   * domain partition directly (past AD's check), as a broken migration or a hand edit would.
   */
  addSpn(input: LabTarget & { spn: string; account: string; force?: boolean }): Promise<LabStatus>;
  removeSpn(input: LabTarget & { spn: string; account: string }): Promise<LabStatus>;
  /** The accounts holding an SPN, found over LDAP (servicePrincipalName=SPN) as Administrator. */
  findSpn(input: LabTarget & { spn: string }): Promise<LabSpnHolder[]>;
  /** A password change as the user makes it (kpasswd with the old password): kvno + 1. */
  changePassword(input: LabTarget & { name: string; newPassword: string }): Promise<LabStatus>;
}

/** The `lab.kdcLog` event: lines the KDC just appended to its log. */
export interface LabKdcLog {
  realm: string;
  lines: string[];
}
