/**
 * The lab realm as a long-lived service under the bench's data directory (see layout.ts for the
 * files). The KDC runs detached (kdc-process.ts): `kbench lab up` returns and the KDC keeps
 * serving; any later process finds it again from its pid file.
 *
 * Every up() first cleans up after crashed runs (cleanup.ts: orphaned and stray KDCs, temporary
 * realms whose maker is gone); a realm directory left half-made by a crash is made again, and a
 * pid file whose process is gone or is no longer our krb5kdc is removed and the KDC restarted.
 * When the realm's port is now taken by someone else, the KDC moves to a free port (krb5.conf and
 * kdc.conf are rewritten; the paths stay the same, so the exported environment stays valid).
 *
 * Changes to one principal (rotate, flags, remove, password) keep what undo() needs first
 * (undo.ts), and say what they will do before they run (preview, change-words.ts).
 */
import { copyFile, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type {
  LabChangeOperation,
  LabChangePreview,
  LabChangeRequest,
  LabKeytabExport,
  LabLog,
  LabNewPrincipal,
  LabRotation,
  LabService,
  LabStatus,
  LabTarget,
  LabUndoResult,
  LabUpResult,
} from '../../api/lab';
import type { EngineContext } from '../../engine/context';
import { BenchFailure } from '../../engine/failure';
import type { KerberosProfile } from '../../gss/types';
import { mergeKeytabs, writeKeytab, type Keytab } from '../../krb/keytab';
import { enctypeName, formatPrincipal } from '../../krb/names';
import { writeFileAtomic } from '../../system/files';
import { keytabSaveTarget, writeKeytabFile } from '../../system/keytab-file';
import { clearStalePidFile, findKdc, loopbackPortFree, spawnDetachedKdc, stopPid, type KdcProcess } from '../kdc-process';
import { lastLines, LogFollower } from '../kdc-log';
import { readPasswords, readSettings, updatePasswords, writeSettings } from '../lab-files';
import {
  DEFAULT_LAB_REALM,
  isValidRealmName,
  LAB_USER,
  labLayout,
  labProfile,
  staleKeytabPath,
  type LabLayout,
} from '../layout';
import { withLock } from '../lock';
import { flagSummary, previewChange, undoText, type ChangeContext, type FlagChanges } from '../change-words';
import { listPrincipals, modprincArgs, principalKind, refusePassword, refuseRemoval, refuseRotation } from '../principals';
import { createLabRealm, repairLabKeytabs } from '../realm-setup';
import { cleanUpLeftovers } from '../cleanup';
import { exportKeys, wantedEnctypes } from '../export';
import { readLabStatus } from '../status';
import { exists, fullName, keytabHolds, readTgt, realmExists, removeFromKeytab } from '../realm-state';
import { freeLoopbackPort, MitRealm, RealmError } from './realm';
import { changeToUndo, discardSnapshot, forgetChange, recordChange, restoreChange, snapshotPrincipal, stateOf, type PrincipalState } from '../undo';

/** Alice's TGT is renewed when it ends within this many seconds. */
const TICKET_MARGIN_SECONDS = 600;
/** At most this many lines of KDC log per call. */
const MAX_LOG_LINES = 5000;

type Context = Pick<EngineContext, 'dataDir' | 'events'>;

/** The operations only an AD realm has. */
export type AdOnly = 'addAccount' | 'setAccount' | 'removeAccount' | 'addSpn' | 'removeSpn' | 'findSpn' | 'changePassword';

export class MitLab implements Omit<LabService, AdOnly> {
  private readonly followers = new Map<string, LogFollower>();

  constructor(private readonly context: Context) {}

  // ---- lifecycle -------------------------------------------------------------------------------

  async up(options: LabTarget = {}): Promise<LabUpResult> {
    const started = performance.now();
    const layout = this.layout(options);
    const result = await withLock(layout.lockFile, async () => {
      const notes = await cleanUpLeftovers(this.context.dataDir, layout, (name) => this.unfollow(name));
      let created = false;
      let realm: MitRealm;
      if (await realmExists(layout)) {
        realm = await MitRealm.open(layout.dir);
      } else {
        if (await exists(layout.dir)) {
          await rm(layout.dir, { recursive: true, force: true });
          notes.push(`${layout.dir} was left half-made by an earlier run: made again`);
        }
        realm = await createLabRealm(layout);
        created = true;
      }
      await repairLabKeytabs(realm, layout, notes);
      const kdcStarted = await this.ensureKdc(realm, layout, notes);
      const ticketRefreshed = await this.ensureTicket(realm, layout, false);
      return { created, started: kdcStarted, ticketRefreshed, notes };
    });
    const status = await this.publish(layout);
    return { ...status, ...result, elapsedMs: Math.round(performance.now() - started) };
  }

  async down(options: LabTarget & { destroy?: boolean } = {}): Promise<LabStatus> {
    const layout = this.layout(options);
    await withLock(layout.lockFile, async () => {
      await this.stopKdcOf(layout);
      if (options.destroy) {
        this.followers.get(layout.realm)?.stop();
        this.followers.delete(layout.realm);
        await rm(layout.dir, { recursive: true, force: true });
      }
    });
    return this.publish(layout);
  }

  async status(options: LabTarget = {}): Promise<LabStatus> {
    const layout = this.layout(options);
    const status = await readLabStatus(layout);
    if (status.state !== 'absent') await this.follow(layout);
    return status;
  }

  async log(options: LabTarget & { lines?: number } = {}): Promise<LabLog> {
    const layout = this.layout(options);
    if (await exists(layout.dir)) await this.follow(layout);
    const count = Math.min(Math.max(0, Math.trunc(options.lines ?? 200)), MAX_LOG_LINES);
    return { realm: layout.realm, path: layout.kdcLog, lines: await lastLines(layout.kdcLog, count) };
  }

  async startKdc(options: LabTarget = {}): Promise<LabStatus> {
    const layout = this.layout(options);
    await this.mutate(layout, async (realm) => {
      await this.ensureKdc(realm, layout, []);
      await this.ensureTicket(realm, layout, false);
    });
    return this.publish(layout);
  }

  async stopKdc(options: LabTarget = {}): Promise<LabStatus> {
    const layout = this.layout(options);
    await this.mutate(layout, () => this.stopKdcOf(layout));
    return this.publish(layout);
  }

  async refreshTicket(options: LabTarget = {}): Promise<LabStatus> {
    const layout = this.layout(options);
    await this.mutate(layout, async (realm) => {
      if (!(await findKdc(layout.pidFile))) throw new BenchFailure(`the KDC of ${layout.realm} is stopped: start it first (kbench lab kdc start)`);
      if (!(await this.ensureTicket(realm, layout, true))) throw new BenchFailure(`${LAB_USER}@${layout.realm} has no password the lab knows: set one first (kbench lab password ${LAB_USER})`);
    });
    return this.publish(layout);
  }

  async setClockOffset(input: LabTarget & { seconds: number }): Promise<LabStatus> {
    const layout = this.layout(input);
    const seconds = Math.trunc(input.seconds);
    await this.mutate(layout, async (realm) => {
      await writeSettings(layout, { ...(await readSettings(layout)), clockOffsetSeconds: seconds });
      const running = await findKdc(layout.pidFile);
      if (!running) return;
      if (running.clockOffsetSeconds !== seconds) {
        await stopPid(running.pid);
        await rm(layout.pidFile, { force: true });
        await this.startKdcProcess(realm, layout, seconds, []);
      }
      // A TGT from the old clock may be "not yet valid" (or expired) on the new one.
      await this.ensureTicket(realm, layout, true);
    });
    return this.publish(layout);
  }

  // ---- principals ------------------------------------------------------------------------------

  async addPrincipal(input: LabNewPrincipal): Promise<LabStatus> {
    const layout = this.layout(input);
    await this.mutate(layout, async (realm) => {
      const name = fullName(input.name, layout.realm);
      if ('password' in input) {
        await realm.addPrincipal(name, { password: input.password });
        await updatePasswords(layout, (p) => void (p[name] = input.password));
      } else {
        await realm.addPrincipal(name, { randkey: true });
        await realm.ktadd(layout.serviceKeytab, name);
      }
    });
    return this.publish(layout);
  }

  async removePrincipal(input: LabTarget & { name: string }): Promise<LabStatus> {
    const layout = this.layout(input);
    await this.mutate(layout, async (realm) => {
      const name = fullName(input.name, layout.realm);
      refuseRemoval(name, layout);
      await this.undoable(realm, layout, name, input.undoable !== false, 'removePrincipal', async () => {
        await realm.kadmin(`delprinc -force ${name}`);
        await removeFromKeytab(layout.serviceKeytab, name);
        if (name === `${LAB_USER}@${layout.realm}`) await rm(layout.clientKeytab, { force: true });
        await updatePasswords(layout, (p) => void delete p[name]);
        return { summary: `${name} removed` };
      });
    });
    return this.publish(layout);
  }

  async setPassword(input: LabTarget & { name: string; password: string }): Promise<LabStatus> {
    const layout = this.layout(input);
    await this.mutate(layout, async (realm) => {
      const name = fullName(input.name, layout.realm);
      refusePassword(name);
      await this.undoable(realm, layout, name, input.undoable !== false, 'setPassword', async () => {
        await realm.changeKey(name, { password: input.password });
        await updatePasswords(layout, (p) => void (p[name] = input.password));
        // The lab's keytabs follow: alice's client keytab is made again, a service keytab gets the new keys.
        if (name === `${LAB_USER}@${layout.realm}`) {
          await rm(layout.clientKeytab, { force: true });
          await realm.ktadd(layout.clientKeytab, name, { norandkey: true });
        }
        if (await keytabHolds(layout.serviceKeytab, name)) await realm.ktadd(layout.serviceKeytab, name, { norandkey: true });
        return { summary: `${name}: new password` };
      });
    });
    return this.publish(layout);
  }

  async rotateKey(input: LabTarget & { name: string }): Promise<LabRotation> {
    const layout = this.layout(input);
    const rotation = await this.mutate(layout, async (realm) => {
      const name = fullName(input.name, layout.realm);
      const before = await this.principal(realm, name);
      refuseRotation(before.kind, name, input.name, await readPasswords(layout));
      return this.undoable(realm, layout, name, input.undoable !== false, 'rotateKey', async () => {
        const made = before.kind === 'krbtgt' ? await this.rotateKrbtgt(realm, name, before.kvno) : await this.rotateService(realm, layout, name, before.kvno);
        return { ...made, summary: `${name}: kvno ${made.oldKvno} → ${made.newKvno}`, ...(made.staleKeytab ? { staleKeytab: made.staleKeytab } : {}) };
      });
    });
    const { summary: _summary, ...made } = rotation;
    return { ...made, staleKeytab: made.staleKeytab ?? null, status: await this.publish(layout) };
  }

  /** -keepold: TGTs issued with the old key stay valid, as in a real krbtgt roll-over. */
  private async rotateKrbtgt(realm: MitRealm, name: string, oldKvno: number) {
    await realm.changeKey(name, { randkey: true }, { keepold: true });
    return { principal: name, oldKvno, newKvno: (await this.principal(realm, name)).kvno, staleKeytab: undefined };
  }

  private async rotateService(realm: MitRealm, layout: LabLayout, name: string, oldKvno: number) {
    const stale = staleKeytabPath(layout, name, oldKvno);
    if (await exists(layout.serviceKeytab)) await copyFile(layout.serviceKeytab, stale);
    else await writeFileAtomic(stale, writeKeytab({ version: 0x502, entries: [] }));
    const added = await realm.ktadd(layout.serviceKeytab, name);
    const settings = await readSettings(layout);
    const staleKeytabs = [...settings.staleKeytabs.filter((r) => r.path !== stale), { path: stale, principal: name, kvno: oldKvno }];
    await writeSettings(layout, { ...settings, staleKeytabs });
    return { principal: name, oldKvno, newKvno: added[0]?.kvno ?? oldKvno + 1, staleKeytab: stale };
  }

  async setFlags(input: LabTarget & FlagChanges & { name: string }): Promise<LabStatus> {
    const layout = this.layout(input);
    await this.mutate(layout, async (realm) => {
      const name = fullName(input.name, layout.realm);
      const changes = modprincArgs(input);
      await this.undoable(realm, layout, name, input.undoable !== false, 'setFlags', async () => {
        await realm.kadmin(`modprinc ${changes.join(' ')} ${name}`);
        return { summary: flagSummary(name, input) };
      });
    });
    return this.publish(layout);
  }

  // ---- undo ------------------------------------------------------------------------------------

  async preview(input: LabChangeRequest): Promise<LabChangePreview> {
    const layout = this.layout(input);
    return this.mutate(layout, async (realm) => {
      const name = fullName(input.name, layout.realm);
      const context = await this.changeContext(realm, layout, name);
      if (input.operation === 'removePrincipal') refuseRemoval(name, layout);
      if (input.operation === 'setPassword') refusePassword(name);
      if (input.operation === 'rotateKey') refuseRotation(context.principal.kind, name, input.name, await readPasswords(layout));
      if (input.operation === 'setFlags') modprincArgs(input);
      return previewChange(input, context);
    });
  }

  async undo(input: LabTarget & { id?: string } = {}): Promise<LabUndoResult> {
    const layout = this.layout(input);
    const undone = await this.mutate(layout, async (realm) => {
      const change = await changeToUndo(realm, layout, input.id);
      const restored = await restoreChange(realm, layout, change);
      if (change.staleKeytab) {
        await rm(change.staleKeytab, { force: true });
        const settings = await readSettings(layout);
        await writeSettings(layout, { ...settings, staleKeytabs: settings.staleKeytabs.filter((r) => r.path !== change.staleKeytab) });
        restored.push(`the stale copy ${path.basename(change.staleKeytab)} is removed`);
      }
      // TGTs issued with a krbtgt key the undo took away would fail: alice gets one with the restored key.
      if (principalKind(change.principal) === 'krbtgt' && (await this.ensureTicket(realm, layout, true))) restored.push("alice has a new TGT under the restored krbtgt key");
      await forgetChange(layout, change);
      const { after: _after, staleKeytab: _stale, ...shown } = change;
      return { change: shown, restored };
    });
    return { ...undone, status: await this.publish(layout) };
  }

  /** Runs a change to one principal, first keeping what undo needs (undo.ts); the change's result says what it did. */
  private async undoable<T extends { summary: string; staleKeytab?: string }>(
    realm: MitRealm,
    layout: LabLayout,
    name: string,
    keepForUndo: boolean,
    operation: LabChangeOperation,
    change: () => Promise<T>,
  ): Promise<T> {
    if (!keepForUndo) return change();
    const context = await this.changeContext(realm, layout, name);
    const snapshot = await snapshotPrincipal(realm, layout, name);
    let result: T;
    try {
      result = await change();
    } catch (error) {
      await discardSnapshot(snapshot);
      throw error;
    }
    const after: PrincipalState = stateOf((await listPrincipals(realm)).find((p) => p.name === name));
    await recordChange(layout, snapshot, { operation, summary: result.summary, undo: undoText(operation, context), after, ...(result.staleKeytab ? { staleKeytab: result.staleKeytab } : {}) });
    return result;
  }

  private async changeContext(realm: MitRealm, layout: LabLayout, name: string): Promise<ChangeContext> {
    const principal = await this.principal(realm, name);
    return { layout, principal, hasPassword: (await readPasswords(layout))[name] !== undefined, inServiceKeytab: await keytabHolds(layout.serviceKeytab, name) };
  }

  async exportKeytab(input: LabTarget & { path: string; principals: string[]; enctypes?: string[]; newKeys?: boolean; replace?: boolean }): Promise<LabKeytabExport> {
    const layout = this.layout(input);
    // Refused before any key changes: a new key that cannot be saved would be a lost key.
    const out = await keytabSaveTarget(input.path, { replace: input.replace });
    const wanted = wantedEnctypes(input.enctypes);
    if (!input.principals.length) throw new BenchFailure('name at least one principal to export');
    const keytab = await this.mutate(layout, async (realm) => {
      const collected: Keytab[] = [];
      for (const given of input.principals) collected.push(await exportKeys(realm, layout, fullName(given, layout.realm), { wanted, newKeys: input.newKeys }));
      return mergeKeytabs(collected);
    });
    await mkdir(path.dirname(out), { recursive: true });
    await writeKeytabFile(out, keytab, { replace: input.replace });
    if (input.newKeys) await this.publish(layout);
    return {
      path: out,
      entries: keytab.entries.map((e) => ({ principal: formatPrincipal(e.principal), kvno: e.kvno, enctype: enctypeName(e.enctype) })),
    };
  }

  async revealPassword(input: LabTarget & { name?: string } = {}): Promise<{ principal: string; password: string }> {
    const layout = this.layout(input);
    const name = fullName(input.name ?? LAB_USER, layout.realm);
    const password = (await readPasswords(layout))[name];
    if (password === undefined) throw new BenchFailure(`the lab knows no password for ${name}`);
    return { principal: name, password };
  }

  async profile(options: LabTarget = {}): Promise<KerberosProfile> {
    return labProfile(this.layout(options));
  }

  /** Stops following KDC logs (the KDCs keep running). */
  dispose(): void {
    for (const follower of this.followers.values()) follower.stop();
    this.followers.clear();
  }

  // ---- internals -------------------------------------------------------------------------------

  private layout(target: LabTarget = {}): LabLayout {
    const realm = target.realm ?? DEFAULT_LAB_REALM;
    if (!isValidRealmName(realm)) throw new BenchFailure(`"${realm}" is not a realm name the lab accepts (letters, digits, ".", "_", "-"; at most 63)`);
    return labLayout(this.context.dataDir, realm);
  }

  /** Runs a change on an existing realm under its lock. */
  private async mutate<T>(layout: LabLayout, change: (realm: MitRealm) => Promise<T>): Promise<T> {
    return withLock(layout.lockFile, async () => {
      if (!(await realmExists(layout))) throw new BenchFailure(`lab realm ${layout.realm} does not exist: bring it up first (kbench lab up${layout.realm === DEFAULT_LAB_REALM ? '' : ` --realm ${layout.realm}`})`);
      return change(await MitRealm.open(layout.dir));
    });
  }

  /** Starts the KDC unless it runs; true when it was started. */
  private async ensureKdc(realm: MitRealm, layout: LabLayout, notes: string[]): Promise<boolean> {
    if (await findKdc(layout.pidFile)) return false;
    if (await clearStalePidFile(layout.pidFile)) notes.push(`removed a stale pid file (${layout.pidFile}): its KDC was gone`);
    const settings = await readSettings(layout);
    await this.startKdcProcess(realm, layout, settings.clockOffsetSeconds, notes);
    return true;
  }

  private async startKdcProcess(realm: MitRealm, layout: LabLayout, clockOffsetSeconds: number, notes: string[]): Promise<KdcProcess> {
    for (let attempt = 1; ; attempt++) {
      if (!(await loopbackPortFree(realm.port))) {
        const old = realm.port;
        await realm.usePort(await freeLoopbackPort());
        notes.push(`port ${old} was taken by another program: the KDC moved to 127.0.0.1:${realm.port} (krb5.conf and kdc.conf rewritten)`);
      }
      try {
        return await spawnDetachedKdc(realm, { clockOffsetSeconds });
      } catch (error) {
        // Someone took the port between our check and the KDC's bind: pick again.
        if (!(error instanceof RealmError && /Address already in use/.test(error.detail ?? '')) || attempt >= 3) throw error;
      }
    }
  }

  private async stopKdcOf(layout: LabLayout): Promise<void> {
    const running = await findKdc(layout.pidFile);
    if (running) await stopPid(running.pid);
    await rm(layout.pidFile, { force: true });
  }

  /**
   * Gets alice a new TGT when hers is missing, ends within 10 minutes of the KDC's clock or starts
   * in its future (the clock offset changed). Needs the KDC. False when alice has no known password
   * or the KDC is not running.
   */
  private async ensureTicket(realm: MitRealm, layout: LabLayout, force: boolean): Promise<boolean> {
    const alice = `${LAB_USER}@${layout.realm}`;
    const password = (await readPasswords(layout))[alice];
    const kdc = await findKdc(layout.pidFile);
    if (password === undefined || !kdc) return false;
    if (!force) {
      const tgt = await readTgt(layout);
      const kdcNow = Date.now() / 1000 + kdc.clockOffsetSeconds;
      if (tgt && tgt.client === alice && tgt.endtime - kdcNow > TICKET_MARGIN_SECONDS && tgt.starttime <= kdcNow + 300) return false;
    }
    await realm.kinit(alice, { password }, { ccache: layout.ccache });
    return true;
  }

  private async principal(realm: MitRealm, name: string) {
    const found = (await listPrincipals(realm)).find((p) => p.name === name);
    if (!found) throw new BenchFailure(`no principal ${name} in lab realm ${realm.realm}`);
    return found;
  }

  private unfollow(realm: string): void {
    this.followers.get(realm)?.stop();
    this.followers.delete(realm);
  }

  /** Emits `lab.kdcLog` for every line the realm's KDC appends from now on. */
  private async follow(layout: LabLayout): Promise<void> {
    if (this.followers.has(layout.realm)) return;
    const follower = new LogFollower(layout.kdcLog, (lines) => this.context.events.emit('lab.kdcLog', { realm: layout.realm, lines }));
    this.followers.set(layout.realm, follower);
    await follower.start();
  }

  /** Reads the status, emits it as `lab.status` and makes sure the KDC log is followed. */
  private async publish(layout: LabLayout): Promise<LabStatus> {
    const status = await readLabStatus(layout);
    if (status.state !== 'absent') await this.follow(layout);
    this.context.events.emit('lab.status', status);
    return status;
  }

}

