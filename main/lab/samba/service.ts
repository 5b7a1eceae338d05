/**
 * An AD lab realm as a long-lived service: a Samba AD DC (samba/realm.ts) copied from the
 * realm's template (samba/template.ts), running detached on loopback and found again from its pid
 * file, with the same files as an MIT lab realm next to it (layout.ts: service.keytab,
 * alice.keytab, alice.ccache, passwords.json, lab.json, krb5.conf) — so every service that takes
 * a lab profile (GSS workers, SASL, the broker, HTTP) works on it unchanged.
 *
 * The lab's operations map onto AD's: a principal is an account (alice) or an SPN held by a
 * service account (mqtt/localhost by svc-mqtt); a new key is a new password (kvno + 1); the flags
 * are userAccountControl bits, accountExpires and pwdLastSet. AD changes are not kept for undo:
 * the AD scenarios put back what they changed themselves.
 */
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type {
  LabAccountChange,
  LabChangePreview,
  LabChangeRequest,
  LabKeytabExport,
  LabLog,
  LabNewAccount,
  LabNewPrincipal,
  LabRotation,
  LabSpnHolder,
  LabStatus,
  LabTarget,
  LabUndoResult,
  LabUpResult,
} from '../../api/lab';
import type { EngineContext } from '../../engine/context';
import { BenchFailure } from '../../engine/failure';
import type { KerberosProfile } from '../../gss/types';
import { mergeKeytabs, samePrincipal, writeKeytab, type Keytab } from '../../krb/keytab';
import { enctypeName, formatPrincipal, parsePrincipal } from '../../krb/names';
import { runTool } from '../../system/exec';
import { writeFileAtomic } from '../../system/files';
import { keytabSaveTarget, readKeytabFile, writeKeytabFile } from '../../system/keytab-file';
import { freeLoopbackPort, RealmError } from '../backend';
import { lastLines, LogFollower } from '../kdc-log';
import { stopPid } from '../kdc-process';
import { readPasswords, readSettings, updatePasswords, writeSettings } from '../lab-files';
import { LAB_USER, labProfile, labShellEnv, staleKeytabPath, type LabLayout } from '../layout';
import { withLock } from '../lock';
import { listPids } from '../procfs';
import { exists, readTgt, removeFromKeytab } from '../realm-state';
import { ENCTYPE_CHOICE_BITS, filetime, krbtgtKvno, listAccounts, principalsOf, spnHolder } from './accounts';
import { attribute } from './ldif';
import { AD_LDAP_PORT, dcsUnder, escapeFilter, netbiosDomain, randomPassword, SambaRealm, UAC } from './realm';
import { adTemplate, copyTemplateFiles, serviceAccountName } from './template';

import { DEFAULT_AD_REALM } from '../../api/lab';
export { DEFAULT_AD_REALM };

/** Alice's TGT is renewed when it ends within this many seconds. */
const TICKET_MARGIN_SECONDS = 600;
const MAX_LOG_LINES = 5000;

type Context = Pick<EngineContext, 'dataDir' | 'events'>;

/** True when `layout.dir` holds an AD realm (a DC's smb.conf). */
export async function isAdRealm(layout: LabLayout): Promise<boolean> {
  return exists(path.join(layout.dir, 'dc', 'etc', 'smb.conf'));
}

export class AdLab {
  private readonly followers = new Map<string, LogFollower>();

  constructor(
    private readonly context: Context,
    private readonly layoutOf: (target: LabTarget) => LabLayout,
  ) {}

  // ---- lifecycle -------------------------------------------------------------------------------

  async up(options: LabTarget = {}): Promise<LabUpResult> {
    const started = performance.now();
    const layout = this.layoutOf(options);
    const result = await withLock(layout.lockFile, async () => {
      const notes = await this.cleanUp();
      let created = false;
      let realm: SambaRealm;
      if (await isAdRealm(layout)) {
        realm = await SambaRealm.open(layout.dir);
      } else {
        if (await exists(layout.dir)) {
          await rm(layout.dir, { recursive: true, force: true });
          notes.push(`${layout.dir} was left half-made by an earlier run: made again`);
        }
        realm = await this.create(layout, notes);
        created = true;
      }
      const kdcStarted = await this.ensureDc(realm, layout, notes);
      const ticketRefreshed = await this.ensureTicket(realm, layout, false);
      return { created, started: kdcStarted, ticketRefreshed, notes };
    });
    const status = await this.publish(layout);
    return { ...status, ...result, elapsedMs: Math.round(performance.now() - started) };
  }

  private async create(layout: LabLayout, notes: string[]): Promise<SambaRealm> {
    const { template, provisioned } = await adTemplate(this.context.dataDir, layout.realm, (note) => notes.push(note));
    if (provisioned) notes.push(`provisioned the AD template for ${layout.realm} (${template.dir})`);
    try {
      const realm = await SambaRealm.copyOf(template.realm, layout.dir);
      await mkdir(layout.rcacheDir, { recursive: true, mode: 0o700 });
      await copyTemplateFiles(template, layout);
      await writeSettings(layout, { createdAt: new Date().toISOString(), clockOffsetSeconds: 0, staleKeytabs: [] });
      return realm;
    } catch (error) {
      await rm(layout.dir, { recursive: true, force: true });
      throw error;
    }
  }

  async down(options: LabTarget & { destroy?: boolean } = {}): Promise<LabStatus> {
    const layout = this.layoutOf(options);
    await withLock(layout.lockFile, async () => {
      if (await isAdRealm(layout)) await (await SambaRealm.open(layout.dir)).stop();
      if (options.destroy) {
        this.unfollow(layout.realm);
        await rm(layout.dir, { recursive: true, force: true });
      }
    });
    return this.publish(layout);
  }

  async status(options: LabTarget = {}): Promise<LabStatus> {
    const layout = this.layoutOf(options);
    const status = await this.readStatus(layout);
    if (status.state !== 'absent') await this.follow(layout);
    return status;
  }

  async log(options: LabTarget & { lines?: number } = {}): Promise<LabLog> {
    const layout = this.layoutOf(options);
    const file = path.join(layout.dir, 'samba.log');
    if (await exists(layout.dir)) await this.follow(layout);
    const count = Math.min(Math.max(0, Math.trunc(options.lines ?? 200)), MAX_LOG_LINES);
    return { realm: layout.realm, path: file, lines: await lastLines(file, count) };
  }

  async startKdc(options: LabTarget = {}): Promise<LabStatus> {
    const layout = this.layoutOf(options);
    await this.mutate(layout, async (realm) => {
      await this.ensureDc(realm, layout, []);
      await this.ensureTicket(realm, layout, false);
    });
    return this.publish(layout);
  }

  async stopKdc(options: LabTarget = {}): Promise<LabStatus> {
    const layout = this.layoutOf(options);
    await this.mutate(layout, (realm) => realm.stop());
    return this.publish(layout);
  }

  async refreshTicket(options: LabTarget = {}): Promise<LabStatus> {
    const layout = this.layoutOf(options);
    await this.mutate(layout, async (realm) => {
      if (!(await realm.find())) throw new BenchFailure(`the DC of ${layout.realm} is stopped: start it first (kbench lab kdc start --realm ${layout.realm})`);
      if (!(await this.ensureTicket(realm, layout, true))) throw new BenchFailure(`${LAB_USER}@${layout.realm} has no password the lab knows`);
    });
    return this.publish(layout);
  }

  /** Restarts the DC under libfaketime with this offset, and refreshes alice's TGT against it. */
  async setClockOffset(input: LabTarget & { seconds: number }): Promise<LabStatus> {
    const layout = this.layoutOf(input);
    const seconds = Math.trunc(input.seconds);
    await this.mutate(layout, async (realm) => {
      await writeSettings(layout, { ...(await readSettings(layout)), clockOffsetSeconds: seconds });
      const running = await realm.find();
      if (!running) return;
      if (running.clockOffsetSeconds !== seconds) {
        await realm.stop();
        await realm.start({ clockOffsetSeconds: seconds });
      }
      await this.ensureTicket(realm, layout, true);
    });
    return this.publish(layout);
  }

  // ---- principals (the lab's words) ------------------------------------------------------------

  /** "x/host" → a service account holding that SPN (random password: keys to the service keytab); "x" → a user. */
  async addPrincipal(input: LabNewPrincipal): Promise<LabStatus> {
    const bare = bareName(input.name, this.layoutOf(input).realm);
    if (!bare.includes('/')) {
      const password = 'password' in input ? input.password : undefined;
      return this.addAccount({ ...target(input), name: bare, type: 'user', ...(password ? { password } : {}) });
    }
    const layout = this.layoutOf(input);
    const account = await this.mutate(layout, (realm) => freeAccountName(realm, bare));
    return this.addAccount({ ...target(input), name: account, type: 'service', spns: [bare], enctypes: 'both', ...('password' in input ? { password: input.password } : {}) });
  }

  async removePrincipal(input: LabTarget & { name: string }): Promise<LabStatus> {
    // removeAccount finds the account (an SPN names its holder); alice is refused here in the lab's words.
    if (bareName(input.name, this.layoutOf(input).realm) === LAB_USER) throw new BenchFailure(`${LAB_USER} is the lab's user: the lab needs her (kbench lab down --destroy removes the realm)`);
    return this.removeAccount({ ...target(input), name: input.name });
  }

  async setPassword(input: LabTarget & { name: string; password: string }): Promise<LabStatus> {
    const layout = this.layoutOf(input);
    await this.mutate(layout, async (realm) => {
      const account = await this.accountOf(realm, input.name);
      await realm.setAccountPassword(account, input.password);
      await this.afterNewPassword(realm, layout, account, input.password);
    });
    return this.publish(layout);
  }

  /** As the user does it: MIT kpasswd with the old password against the DC's kpasswd service. */
  async changePassword(input: LabTarget & { name: string; newPassword: string }): Promise<LabStatus> {
    const layout = this.layoutOf(input);
    await this.mutate(layout, async (realm) => {
      const account = await this.accountOf(realm, input.name);
      const principal = `${account}@${layout.realm}`;
      const old = (await readPasswords(layout))[principal];
      if (old === undefined) throw new BenchFailure(`the lab knows no password for ${principal}: set one first (kbench lab password ${account} --realm ${layout.realm})`);
      const ccache = path.join(layout.dir, 'kpasswd.ccache');
      const run = await runTool(await realm.tool('kpasswd'), [principal], { env: { ...realm.env(), KRB5CCNAME: `FILE:${ccache}` }, timeoutMs: 30_000, input: `${old}\n${input.newPassword}\n${input.newPassword}\n` });
      await rm(ccache, { force: true });
      if (!run.ok) throw new BenchFailure(`kpasswd ${principal} failed: ${(run.stderr || run.stdout).replace(/Password for [^\n]*: ?|Enter new password: ?|Enter it again: ?/g, '').trim()}`);
      await this.afterNewPassword(realm, layout, account, input.newPassword);
    });
    return this.publish(layout);
  }

  /** The lab's files follow a password change: passwords.json, alice's keytab, the service keytab's entries. */
  private async afterNewPassword(realm: SambaRealm, layout: LabLayout, account: string, password: string): Promise<void> {
    const principal = `${account}@${layout.realm}`;
    await updatePasswords(layout, (p) => void (p[principal] = password));
    if (account === LAB_USER) await this.exportTo(realm, layout.clientKeytab, [principal], { replace: true });
    const spns = await this.spnsInServiceKeytab(realm, layout, account);
    if (spns.length) await this.exportTo(realm, layout.serviceKeytab, spns, { replace: false });
    if (account === LAB_USER) await this.ensureTicket(realm, layout, true);
  }

  /** A service's new key is a new random password (kvno + 1); the service keytab as it was is kept as a stale copy. */
  async rotateKey(input: LabTarget & { name: string }): Promise<LabRotation> {
    const layout = this.layoutOf(input);
    const rotation = await this.mutate(layout, async (realm) => {
      const account = await this.accountOf(realm, input.name);
      if (account === 'krbtgt') throw new BenchFailure("the AD lab does not roll krbtgt's key: AD keeps it for the DC (MIT lab realms can)");
      if (account === LAB_USER) throw new BenchFailure(`${LAB_USER} is a user: give her a new password instead (kbench lab password ${LAB_USER} --realm ${layout.realm})`);
      const before = (await this.accounts(realm, layout)).find((a) => a.name === account)!;
      const name = before.spns[0] ? `${before.spns[0]}@${layout.realm}` : before.principal;
      const stale = staleKeytabPath(layout, name, before.kvno);
      if (await exists(layout.serviceKeytab)) await copyFile(layout.serviceKeytab, stale);
      else await writeFileAtomic(stale, writeKeytab({ version: 0x502, entries: [] }));
      const password = randomPassword();
      await realm.setAccountPassword(account, password);
      await updatePasswords(layout, (p) => void (p[before.principal] = password));
      await this.exportTo(realm, layout.serviceKeytab, before.spns.map((s) => `${s}@${layout.realm}`), { replace: false });
      const settings = await readSettings(layout);
      await writeSettings(layout, { ...settings, staleKeytabs: [...settings.staleKeytabs.filter((r) => r.path !== stale), { path: stale, principal: name, kvno: before.kvno }] });
      return { principal: name, oldKvno: before.kvno, newKvno: before.kvno + 1, staleKeytab: stale };
    });
    return { ...rotation, status: await this.publish(layout) };
  }

  /** The MIT flags in AD's words: DONT_REQ_PREAUTH, ACCOUNTDISABLE, accountExpires, pwdLastSet = 0. */
  async setFlags(input: LabTarget & { name: string; requiresPreauth?: boolean; allowTix?: boolean; expired?: boolean; passwordExpired?: boolean }): Promise<LabStatus> {
    // setAccount finds the account (an SPN names its holder).
    return this.setAccount({
      ...target(input),
      name: input.name,
      ...(input.requiresPreauth !== undefined ? { requiresPreauth: input.requiresPreauth } : {}),
      ...(input.allowTix !== undefined ? { enabled: input.allowTix } : {}),
      ...(input.expired !== undefined ? { expired: input.expired } : {}),
      ...(input.passwordExpired !== undefined ? { mustChangePassword: input.passwordExpired } : {}),
    });
  }

  async exportKeytab(input: LabTarget & { path: string; principals: string[]; enctypes?: string[]; newKeys?: boolean; replace?: boolean }): Promise<LabKeytabExport> {
    const layout = this.layoutOf(input);
    const out = await keytabSaveTarget(input.path, { replace: input.replace });
    if (!input.principals.length) throw new BenchFailure('name at least one principal to export');
    const keytab = await this.mutate(layout, async (realm) => {
      const names: string[] = [];
      for (const given of input.principals) {
        // samba-tool names the keys after the principal asked for: "krbtgt" would give krbtgt@REALM, which no KDC issues tickets as.
        const name = /^krbtgt(@|$)/.test(given.trim()) ? `krbtgt/${layout.realm}@${layout.realm}` : fullAdName(given, layout.realm);
        if (input.newKeys) {
          const account = await this.accountOf(realm, name);
          const password = randomPassword();
          await realm.setAccountPassword(account, password);
          await updatePasswords(layout, (p) => void (p[`${account}@${layout.realm}`] = password));
          const spns = await this.spnsInServiceKeytab(realm, layout, account);
          if (spns.length) await this.exportTo(realm, layout.serviceKeytab, spns, { replace: false });
        }
        names.push(name);
      }
      return this.keysOf(realm, names);
    });
    const wanted = input.enctypes?.length ? new Set(input.enctypes.map((e) => e.toLowerCase())) : null;
    const kept = wanted ? { ...keytab, entries: keytab.entries.filter((e) => wanted.has(enctypeName(e.enctype).toLowerCase())) } : keytab;
    if (!kept.entries.length) throw new BenchFailure(`the DC holds no keys of ${input.enctypes?.join(', ')} for ${input.principals.join(', ')}: set the account's enctypes first (kbench lab account set NAME --enctypes aes|rc4|both)`);
    await mkdir(path.dirname(out), { recursive: true });
    await writeKeytabFile(out, kept, { replace: input.replace });
    if (input.newKeys) await this.publish(layout);
    return { path: out, entries: kept.entries.map((e) => ({ principal: formatPrincipal(e.principal), kvno: e.kvno, enctype: enctypeName(e.enctype) })) };
  }

  async revealPassword(input: LabTarget & { name?: string } = {}): Promise<{ principal: string; password: string }> {
    const layout = this.layoutOf(input);
    const name = fullAdName(input.name ?? LAB_USER, layout.realm);
    const password = (await readPasswords(layout))[name];
    if (password === undefined) throw new BenchFailure(`the lab knows no password for ${name}`);
    return { principal: name, password };
  }

  async profile(options: LabTarget = {}): Promise<KerberosProfile> {
    return labProfile(this.layoutOf(options));
  }

  async preview(input: LabChangeRequest): Promise<LabChangePreview> {
    const layout = this.layoutOf(input);
    const account = await this.mutate(layout, (realm) => this.accountOf(realm, input.name));
    const principal = fullAdName(input.name, layout.realm);
    const effects: Record<LabChangeRequest['operation'], string[]> = {
      rotateKey: [`${account} gets a new random password: its kvno goes up by one`, 'the service keytab gets the new keys after a copy of it is kept (a stale keytab at hand)'],
      setPassword: [`${account} gets the new password: its kvno goes up by one`, "the lab's keytabs that hold it get the new keys"],
      removePrincipal: [`the account ${account} is deleted from the directory`, 'its keys leave the service keytab'],
      setFlags: [`${account}'s userAccountControl, accountExpires or pwdLastSet change as asked`],
    };
    return { operation: input.operation, principal, effects: effects[input.operation], undo: 'AD lab changes are not kept for undo: change the account back (kbench lab account set …)' };
  }

  async undo(input: LabTarget & { id?: string } = {}): Promise<LabUndoResult> {
    throw new BenchFailure(`${this.layoutOf(input).realm} is an AD lab realm: its changes are not kept for undo — change the account back (kbench lab account set …), or make the realm again (kbench lab down --destroy, then up: a copy of the template, a second)`);
  }

  // ---- accounts (AD's words) -------------------------------------------------------------------

  async addAccount(input: LabNewAccount): Promise<LabStatus> {
    const layout = this.layoutOf(input);
    await this.mutate(layout, async (realm) => {
      const type = input.type ?? (input.spns?.length ? 'service' : input.name.endsWith('$') ? 'computer' : 'user');
      const password = input.password ?? randomPassword();
      if (type === 'computer') {
        await realm.samba(['computer', 'create', input.name.replace(/\$$/, '')]);
      } else {
        await realm.samba(['user', 'add', input.name, '--random-password']);
      }
      const sam = type === 'computer' ? `${input.name.replace(/\$$/, '')}$` : input.name;
      const dn = await realm.requireDn(sam);
      await realm.setAccountPassword(sam, password);
      await updatePasswords(layout, (p) => void (p[`${sam}@${layout.realm}`] = password));
      if (input.enctypes && input.enctypes !== 'unset') await realm.modify(dn, [{ op: 'replace', attribute: 'msDS-SupportedEncryptionTypes', values: [String(ENCTYPE_CHOICE_BITS[input.enctypes])] }]);
      for (const spn of input.spns ?? []) await realm.samba(['spn', 'add', spn, sam]);
      if (type === 'service' && input.spns?.length) await this.exportTo(realm, layout.serviceKeytab, input.spns.map((s) => `${s}@${layout.realm}`), { replace: false });
    });
    return this.publish(layout);
  }

  async setAccount(input: LabAccountChange): Promise<LabStatus> {
    const layout = this.layoutOf(input);
    await this.mutate(layout, async (realm) => {
      const account = await this.accountOf(realm, input.name);
      const [entry] = await realm.search(`(sAMAccountName=${escapeFilter(account)})`, ['userAccountControl']);
      if (!entry) throw new RealmError('kadmin', `no account ${account} in ${realm.realm}`);
      const dn = entry.dn;
      let uac = Number(attribute(entry, 'userAccountControl') ?? UAC.NORMAL_ACCOUNT);
      const changes: { op: 'replace' | 'delete'; attribute: string; values: string[] }[] = [];
      if (input.enabled !== undefined) uac = input.enabled ? uac & ~UAC.ACCOUNTDISABLE : uac | UAC.ACCOUNTDISABLE;
      if (input.requiresPreauth !== undefined) uac = input.requiresPreauth ? uac & ~UAC.DONT_REQ_PREAUTH : uac | UAC.DONT_REQ_PREAUTH;
      if (input.enabled !== undefined || input.requiresPreauth !== undefined) changes.push({ op: 'replace', attribute: 'userAccountControl', values: [String(uac)] });
      // An hour ago, or never (0): AD's KDC then answers "client's credentials have been revoked".
      if (input.expired !== undefined) changes.push({ op: 'replace', attribute: 'accountExpires', values: [input.expired ? String(filetime(Date.now() - 3600_000)) : '0'] });
      // pwdLastSet takes only 0 (must change at next logon) or -1 (now).
      if (input.mustChangePassword !== undefined) changes.push({ op: 'replace', attribute: 'pwdLastSet', values: [input.mustChangePassword ? '0' : '-1'] });
      if (input.enctypes !== undefined) {
        changes.push(input.enctypes === 'unset' ? { op: 'replace', attribute: 'msDS-SupportedEncryptionTypes', values: [] } : { op: 'replace', attribute: 'msDS-SupportedEncryptionTypes', values: [String(ENCTYPE_CHOICE_BITS[input.enctypes])] });
      }
      if (!changes.length) throw new BenchFailure('say what to change: enabled, expired, mustChangePassword, requiresPreauth or enctypes');
      await realm.modify(dn, changes);
      // New enctypes change which keys AD hands out: the lab's keytabs follow.
      if (input.enctypes !== undefined) {
        const spns = await this.spnsInServiceKeytab(realm, layout, account);
        if (spns.length) {
          for (const spn of spns) await removeFromKeytab(layout.serviceKeytab, spn);
          await this.exportTo(realm, layout.serviceKeytab, spns, { replace: false });
        }
      }
    });
    return this.publish(layout);
  }

  async removeAccount(input: LabTarget & { name: string }): Promise<LabStatus> {
    const layout = this.layoutOf(input);
    await this.mutate(layout, async (realm) => {
      const account = await this.accountOf(realm, input.name);
      if (account === LAB_USER || account === 'krbtgt' || account === 'Administrator') throw new BenchFailure(`${account} is one the lab needs: remove another account`);
      const spns = (await this.accounts(realm, layout)).find((a) => a.name === account)?.spns ?? [];
      await realm.samba([account.endsWith('$') ? 'computer' : 'user', 'delete', account.endsWith('$') ? account.slice(0, -1) : account]);
      for (const spn of spns) await removeFromKeytab(layout.serviceKeytab, `${spn}@${layout.realm}`);
      await removeFromKeytab(layout.serviceKeytab, `${account}@${layout.realm}`);
      await updatePasswords(layout, (p) => void delete p[`${account}@${layout.realm}`]);
    });
    return this.publish(layout);
  }

  async addSpn(input: LabTarget & { spn: string; account: string; force?: boolean }): Promise<LabStatus> {
    const layout = this.layoutOf(input);
    await this.mutate(layout, async (realm) => {
      const holder = await spnHolder(realm, input.spn);
      if (holder && !input.force) throw new BenchFailure(`${input.spn} is held by ${holder}: AD refuses a duplicate SPN (force: true writes it past AD's check, as a hand edit of the directory would)`);
      if (holder) await realm.modify(await realm.requireDn(input.account), [{ op: 'add', attribute: 'servicePrincipalName', values: [input.spn] }], { raw: true });
      else await realm.samba(['spn', 'add', input.spn, input.account]);
    });
    return this.publish(layout);
  }

  async removeSpn(input: LabTarget & { spn: string; account: string }): Promise<LabStatus> {
    const layout = this.layoutOf(input);
    await this.mutate(layout, async (realm) => {
      const holders = (await this.accounts(realm, layout)).filter((a) => a.spns.includes(input.spn));
      if (!holders.some((a) => a.name === input.account)) throw new BenchFailure(`${input.account} does not hold ${input.spn}`);
      // A duplicate was written past AD's check: take it out the same way.
      if (holders.length > 1) await realm.modify(await realm.requireDn(input.account), [{ op: 'delete', attribute: 'servicePrincipalName', values: [input.spn] }], { raw: true });
      else await realm.samba(['spn', 'delete', input.spn, input.account]);
      if (holders.length === 1) await removeFromKeytab(layout.serviceKeytab, `${input.spn}@${layout.realm}`);
    });
    return this.publish(layout);
  }

  /** Over LDAP, as an administrator would look: (servicePrincipalName=SPN) under the domain. */
  async findSpn(input: LabTarget & { spn: string }): Promise<LabSpnHolder[]> {
    const layout = this.layoutOf(input);
    const realm = await this.mutate(layout, async (r) => r);
    if (!(await realm.find())) throw new BenchFailure(`the DC of ${layout.realm} is stopped: LDAP needs it running (kbench lab up --kind ad)`);
    const admin = (await readPasswords(layout))[`Administrator@${layout.realm}`];
    if (!admin) throw new BenchFailure(`the lab knows no Administrator password for ${layout.realm}`);
    return ldapSpnHolders(`ldap://127.0.0.1:${AD_LDAP_PORT}`, `CN=Administrator,CN=Users,${realm.baseDn}`, admin, realm.baseDn, input.spn);
  }

  dispose(): void {
    for (const follower of this.followers.values()) follower.stop();
    this.followers.clear();
  }

  // ---- internals -------------------------------------------------------------------------------

  private async mutate<T>(layout: LabLayout, change: (realm: SambaRealm) => Promise<T>): Promise<T> {
    return withLock(layout.lockFile, async () => {
      if (!(await isAdRealm(layout))) throw new BenchFailure(`AD lab realm ${layout.realm} does not exist: bring it up first (kbench lab up --kind ad${layout.realm === DEFAULT_AD_REALM ? '' : ` --realm ${layout.realm}`})`);
      return change(await SambaRealm.open(layout.dir));
    });
  }

  /** A lab name → the account: "alice", "alice@AD.TEST", "svc-mqtt", or an SPN its holder has ("mqtt/localhost"). */
  private async accountOf(realm: SambaRealm, given: string): Promise<string> {
    const bare = bareName(given, realm.realm);
    if (/^krbtgt(\/|$)/.test(bare)) return 'krbtgt';
    if (bare.includes('/')) {
      const holder = await spnHolder(realm, bare);
      if (!holder) throw new BenchFailure(`no account in ${realm.realm} holds the SPN ${bare}`);
      return holder;
    }
    if (!(await realm.dnOf(bare))) throw new BenchFailure(`no account ${bare} in AD lab realm ${realm.realm}`);
    return bare;
  }

  private async accounts(realm: SambaRealm, layout: LabLayout, keytab?: Keytab) {
    const entries = (keytab ?? (await serviceKeytabOf(layout))).entries;
    const inServiceKeytab = new Set(entries.map((e) => formatPrincipal(e.principal)));
    return listAccounts(realm, { passwords: await readPasswords(layout), inServiceKeytab });
  }

  /** The account's SPNs (with realm) that the service keytab holds keys of. */
  private async spnsInServiceKeytab(realm: SambaRealm, layout: LabLayout, account: string): Promise<string[]> {
    const keytab = await serviceKeytabOf(layout);
    const found = (await this.accounts(realm, layout, keytab)).find((a) => a.name === account);
    if (!found) return [];
    return found.spns.map((s) => `${s}@${layout.realm}`).filter((name) => keytab.entries.some((e) => samePrincipal(e.principal, parsePrincipal(name))));
  }

  /** The principals' current keys as the DC exports them (samba-tool domain exportkeytab into a private temp file). */
  private async keysOf(realm: SambaRealm, principals: string[]): Promise<Keytab> {
    const dir = await makeTempDir();
    try {
      const collected: Keytab[] = [];
      for (const [i, principal] of principals.entries()) {
        const file = path.join(dir, `${i}.keytab`);
        await realm.exportKeys(file, principal);
        collected.push(await readKeytabFile(file));
      }
      return mergeKeytabs(collected);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Writes (replace) or adds to a keytab of the lab the principals' current keys. */
  private async exportTo(realm: SambaRealm, file: string, principals: string[], options: { replace: boolean }): Promise<void> {
    const fresh = await this.keysOf(realm, principals);
    const old = options.replace ? { version: 0x502, entries: [] } : await readKeytabFile(file, { missingIsEmpty: true });
    await writeFileAtomic(file, writeKeytab(mergeKeytabs([old as Keytab, fresh])), 0o600);
  }

  /** Starts the DC unless it runs; true when it was started. */
  private async ensureDc(realm: SambaRealm, layout: LabLayout, notes: string[]): Promise<boolean> {
    const running = await realm.find();
    if (running && (await realm.kdcAnswers())) return false;
    // Ours by its pid file, yet its KDC does not answer here: hung, or started in another network
    // namespace (unshare --net) where its ports are not ours to reach. Start one that answers.
    if (running) {
      await realm.stop();
      notes.push(`the DC (pid ${running.pid}) did not answer on 127.0.0.1:${realm.port}: restarted`);
    }
    const settings = await readSettings(layout);
    try {
      await realm.start({ clockOffsetSeconds: settings.clockOffsetSeconds });
    } catch (error) {
      // The ports were taken while the realm slept: move the KDC and try once more.
      if (!/Address already in use|did not answer/.test(String(error))) throw error;
      const old = realm.port;
      await realm.usePorts(await freeLoopbackPort(), await freeLoopbackPort());
      notes.push(`port ${old} was not usable: the KDC moved to 127.0.0.1:${realm.port} (krb5.conf and smb.conf rewritten)`);
      await realm.start({ clockOffsetSeconds: settings.clockOffsetSeconds });
    }
    return true;
  }

  private async ensureTicket(realm: SambaRealm, layout: LabLayout, force: boolean): Promise<boolean> {
    const alice = `${LAB_USER}@${layout.realm}`;
    const password = (await readPasswords(layout))[alice];
    const dc = await realm.find();
    if (password === undefined || !dc) return false;
    if (!force) {
      const tgt = await readTgt(layout);
      const kdcNow = Date.now() / 1000 + dc.clockOffsetSeconds;
      if (tgt && tgt.client === alice && tgt.endtime - kdcNow > TICKET_MARGIN_SECONDS && tgt.starttime <= kdcNow + 300) return false;
    }
    await realm.kinit(alice, { password }, { ccache: layout.ccache });
    return true;
  }

  /** DCs of ours whose realm directory is gone are stopped. */
  private async cleanUp(): Promise<string[]> {
    const notes: string[] = [];
    const root = path.join(path.resolve(this.context.dataDir), 'lab');
    for (const { pid, dir } of await dcsUnder(root, await listPids())) {
      if (await exists(path.join(dir, 'dc', 'etc', 'smb.conf'))) continue;
      await stopPid(pid);
      notes.push(`stopped orphaned samba ${pid}: its realm ${dir} is gone`);
    }
    return notes;
  }

  async readStatus(layout: LabLayout): Promise<LabStatus> {
    const base = {
      realm: layout.realm,
      kind: 'ad' as const,
      dir: layout.dir,
      keytabs: { service: layout.serviceKeytab, client: layout.clientKeytab },
      krb5Conf: layout.krb5Conf,
      env: labShellEnv(layout),
      lastChange: null,
    };
    if (!(await isAdRealm(layout))) {
      return { ...base, state: 'absent', pid: null, port: null, kdc: null, uptimeSeconds: null, principals: [], ccache: { path: layout.ccache, tgtExpires: null }, clockOffsetSeconds: 0, staleKeytabs: [], ad: null };
    }
    const realm = await SambaRealm.open(layout.dir);
    const [dc, accounts, krbtgt, settings, tgt] = await Promise.all([realm.find(), this.accounts(realm, layout), krbtgtKvno(realm), readSettings(layout), readTgt(layout)]);
    const staleKeytabs = [];
    for (const record of settings.staleKeytabs) if (await exists(record.path)) staleKeytabs.push(record);
    return {
      ...base,
      state: dc ? 'running' : 'stopped',
      pid: dc?.pid ?? null,
      port: realm.port,
      kdc: `127.0.0.1:${realm.port}`,
      uptimeSeconds: dc?.startedAt ? Math.max(0, Math.floor((Date.now() - dc.startedAt) / 1000)) : null,
      principals: principalsOf(accounts, layout.realm, krbtgt),
      ccache: { path: layout.ccache, tgtExpires: tgt ? new Date(tgt.endtime * 1000).toISOString() : null },
      clockOffsetSeconds: dc ? dc.clockOffsetSeconds : settings.clockOffsetSeconds,
      staleKeytabs,
      ad: { netbios: netbiosDomain(layout.realm), baseDn: realm.baseDn, ldap: `ldap://127.0.0.1:${AD_LDAP_PORT}`, kpasswd: `127.0.0.1:${realm.passwordPort}`, accounts },
    };
  }

  private unfollow(realm: string): void {
    this.followers.get(realm)?.stop();
    this.followers.delete(realm);
  }

  private async follow(layout: LabLayout): Promise<void> {
    if (this.followers.has(layout.realm)) return;
    const follower = new LogFollower(path.join(layout.dir, 'samba.log'), (lines) => this.context.events.emit('lab.kdcLog', { realm: layout.realm, lines }));
    this.followers.set(layout.realm, follower);
    await follower.start();
  }

  private async publish(layout: LabLayout): Promise<LabStatus> {
    const status = await this.readStatus(layout);
    if (status.state !== 'absent') await this.follow(layout);
    this.context.events.emit('lab.status', status);
    return status;
  }
}

/** The accounts holding `spn`, by an LDAP search bound as `bindDn`. */
export async function ldapSpnHolders(url: string, bindDn: string, password: string, base: string, spn: string): Promise<LabSpnHolder[]> {
  // Loaded here, not with the lab service: only an SPN search against the AD lab needs LDAP.
  const { Client } = await import('ldapts');
  const client = new Client({ url, timeout: 5000, connectTimeout: 5000 });
  try {
    await client.bind(bindDn, password);
    const { searchEntries } = await client.search(base, { scope: 'sub', filter: `(servicePrincipalName=${escapeFilter(spn)})`, attributes: ['sAMAccountName'] });
    return searchEntries.map((e) => ({ account: String(e.sAMAccountName ?? ''), dn: e.dn })).sort((a, b) => a.account.localeCompare(b.account));
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

/** The lab's service keytab; none (or unreadable) reads as empty. */
async function serviceKeytabOf(layout: LabLayout): Promise<Keytab> {
  return readKeytabFile(layout.serviceKeytab, { missingIsEmpty: true }).catch(() => ({ version: 0x502, entries: [] }) as Keytab);
}

/** "x@REALM" / "x" → "x" (another realm refused). */
function bareName(name: string, realm: string): string {
  const trimmed = name.trim();
  if (!/^[A-Za-z0-9._\-/$:]{1,255}(@[A-Za-z0-9._-]+)?$/.test(trimmed)) throw new BenchFailure(`"${name}" is not a name the AD lab accepts (letters, digits and . _ - / $ :)`);
  const at = trimmed.lastIndexOf('@');
  if (at < 0) return trimmed;
  if (trimmed.slice(at + 1).toUpperCase() !== realm) throw new BenchFailure(`${trimmed} is not in the lab realm ${realm}`);
  return trimmed.slice(0, at);
}

function fullAdName(name: string, realm: string): string {
  return `${bareName(name, realm)}@${realm}`;
}

/** The realm and kind of a call, without the rest of its input. */
function target(input: LabTarget): LabTarget {
  return { ...(input.realm ? { realm: input.realm } : {}), kind: 'ad' };
}

/** svc-<service>, svc-<service>2 … : the first name no account has. */
async function freeAccountName(realm: SambaRealm, spn: string): Promise<string> {
  const base = serviceAccountName(spn).slice(0, 17);
  for (let i = 1; i < 100; i++) {
    const name = i === 1 ? base : `${base}${i}`;
    if (!(await realm.dnOf(name))) return name;
  }
  throw new BenchFailure(`no free account name for ${spn}`);
}

async function makeTempDir(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'kbench-ad-'));
}
