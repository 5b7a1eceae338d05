/**
 * The lab realm as a long-lived service under the bench's data directory (see layout.ts for the
 * files). The KDC runs detached (kdc-process.ts): `kbench lab up` returns and the KDC keeps
 * serving; any later process finds it again from its pid file.
 *
 * Leftovers of crashed runs are cleaned up on every up():
 *   - a krb5kdc whose pid file lies under ${dataDir}/lab but whose realm directory is gone → killed;
 *   - a krb5kdc started for a realm here with that realm's pid file, but the pid file now names
 *     another process (or none) → killed (it would hold the realm's port forever);
 *   - temporary realms (TMP-…) whose maker process is gone → their KDC stopped, directory removed;
 *   - a realm directory left half-made by a crash during creation → made again;
 *   - a pid file whose process is gone or is no longer our krb5kdc → removed, the KDC restarted.
 * And when the realm's port is now taken by someone else, the KDC moves to a free port (krb5.conf
 * and kdc.conf are rewritten; the paths stay the same, so the exported environment stays valid).
 */
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { LabKeytabExport, LabLog, LabNewPrincipal, LabPrincipal, LabRotation, LabService, LabStatus, LabTarget, LabUpResult } from '../api/lab';
import type { EngineContext } from '../engine/context';
import { BenchFailure } from '../engine/failure';
import type { KerberosProfile } from '../gss/types';
import { parseCcache } from '../krb/ccache';
import { mergeKeytabs, samePrincipal, writeKeytab, type Keytab } from '../krb/keytab';
import { enctypeId, enctypeName, formatPrincipal, parsePrincipal } from '../krb/names';
import { writeFileAtomic } from '../system/files';
import { keytabSaveTarget, readKeytabFile, writeKeytabFile } from '../system/keytab-file';
import { clearStalePidFile, findKdc, kdcsUnder, loopbackPortFree, spawnDetachedKdc, stopPid, type KdcProcess } from './kdc-process';
import { lastLines, LogFollower } from './kdc-log';
import { ownerAlive, readPasswords, readSettings, updatePasswords, writeOwner, writeSettings, type LabSettings } from './lab-files';
import {
  DEFAULT_LAB_REALM,
  isValidRealmName,
  LAB_SERVICES,
  LAB_USER,
  labLayout,
  labProfile,
  labRoot,
  labShellEnv,
  staleKeytabPath,
  TEMPORARY_REALM_PREFIX,
  type LabLayout,
} from './layout';
import { withLock } from './lock';
import { listPrincipals, principalKind } from './principals';
import { pidAlive } from './procfs';
import { freeLoopbackPort, MitRealm, RealmError } from './realm';

/** Alice's TGT is renewed when it ends within this many seconds. */
const TICKET_MARGIN_SECONDS = 600;
/** At most this many lines of KDC log per call. */
const MAX_LOG_LINES = 5000;

type Context = Pick<EngineContext, 'dataDir' | 'events'>;

export class LabServiceImpl implements LabService {
  private readonly followers = new Map<string, LogFollower>();

  constructor(private readonly context: Context) {}

  // ---- lifecycle -------------------------------------------------------------------------------

  async up(options: LabTarget = {}): Promise<LabUpResult> {
    const started = performance.now();
    const layout = this.layout(options);
    const result = await withLock(layout.lockFile, async () => {
      const notes = await this.cleanUp(layout);
      let created = false;
      let realm: MitRealm;
      if (await realmExists(layout)) {
        realm = await MitRealm.open(layout.dir);
      } else {
        if (await exists(layout.dir)) {
          await rm(layout.dir, { recursive: true, force: true });
          notes.push(`${layout.dir} was left half-made by an earlier run: made again`);
        }
        realm = await this.create(layout);
        created = true;
      }
      await this.repairKeytabs(realm, layout, notes);
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
    const status = await this.readStatus(layout);
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
      if (name === `krbtgt/${layout.realm}@${layout.realm}`) throw new BenchFailure(`${name} is the realm's own key: removing it would break the realm (kbench lab down --destroy removes the whole realm)`);
      await realm.kadmin(`delprinc -force ${name}`);
      await removeFromKeytab(layout.serviceKeytab, name);
      if (name === `${LAB_USER}@${layout.realm}`) await rm(layout.clientKeytab, { force: true });
      await updatePasswords(layout, (p) => void delete p[name]);
    });
    return this.publish(layout);
  }

  async setPassword(input: LabTarget & { name: string; password: string }): Promise<LabStatus> {
    const layout = this.layout(input);
    await this.mutate(layout, async (realm) => {
      const name = fullName(input.name, layout.realm);
      if (principalKind(name) === 'krbtgt') throw new BenchFailure(`${name} has no password: rotate its key instead`);
      await realm.changeKey(name, { password: input.password });
      await updatePasswords(layout, (p) => void (p[name] = input.password));
      // The lab's keytabs follow: alice's client keytab is made again, a service keytab gets the new keys.
      if (name === `${LAB_USER}@${layout.realm}`) {
        await rm(layout.clientKeytab, { force: true });
        await realm.ktadd(layout.clientKeytab, name, { norandkey: true });
      }
      if (await keytabHolds(layout.serviceKeytab, name)) await realm.ktadd(layout.serviceKeytab, name, { norandkey: true });
    });
    return this.publish(layout);
  }

  async rotateKey(input: LabTarget & { name: string }): Promise<LabRotation> {
    const layout = this.layout(input);
    const rotation = await this.mutate(layout, async (realm) => {
      const name = fullName(input.name, layout.realm);
      const before = await this.principal(realm, name);
      if (before.kind === 'krbtgt') {
        // -keepold: TGTs issued with the old key stay valid, as in a real krbtgt roll-over.
        await realm.changeKey(name, { randkey: true }, { keepold: true });
        return { principal: name, oldKvno: before.kvno, newKvno: (await this.principal(realm, name)).kvno, staleKeytab: null };
      }
      if ((await readPasswords(layout))[name] !== undefined) {
        throw new BenchFailure(`${name} is a user with a password: random keys would replace it. Set a new password instead (kbench lab password ${input.name})`);
      }
      const stale = staleKeytabPath(layout, name, before.kvno);
      if (await exists(layout.serviceKeytab)) await copyFile(layout.serviceKeytab, stale);
      else await writeFileAtomic(stale, writeKeytab({ version: 0x502, entries: [] }));
      const added = await realm.ktadd(layout.serviceKeytab, name);
      const settings = await readSettings(layout);
      const staleKeytabs = [...settings.staleKeytabs.filter((r) => r.path !== stale), { path: stale, principal: name, kvno: before.kvno }];
      await writeSettings(layout, { ...settings, staleKeytabs });
      return { principal: name, oldKvno: before.kvno, newKvno: added[0]?.kvno ?? before.kvno + 1, staleKeytab: stale };
    });
    return { ...rotation, status: await this.publish(layout) };
  }

  async setFlags(input: LabTarget & { name: string; requiresPreauth?: boolean; allowTix?: boolean; expired?: boolean; passwordExpired?: boolean }): Promise<LabStatus> {
    const layout = this.layout(input);
    await this.mutate(layout, async (realm) => {
      const name = fullName(input.name, layout.realm);
      const changes = [
        ...(input.requiresPreauth === undefined ? [] : [input.requiresPreauth ? '+requires_preauth' : '-requires_preauth']),
        ...(input.allowTix === undefined ? [] : [input.allowTix ? '+allow_tix' : '-allow_tix']),
        // "now" is not yet past for the KDC's check: an hour ago is.
        ...(input.expired === undefined ? [] : [`-expire ${input.expired ? '"1 hour ago"' : 'never'}`]),
        ...(input.passwordExpired === undefined ? [] : [`-pwexpire ${input.passwordExpired ? '"1 hour ago"' : 'never'}`]),
      ];
      if (!changes.length) throw new BenchFailure('no flag to change: give requiresPreauth, allowTix, expired and/or passwordExpired');
      await realm.kadmin(`modprinc ${changes.join(' ')} ${name}`);
    });
    return this.publish(layout);
  }

  async exportKeytab(input: LabTarget & { path: string; principals: string[]; enctypes?: string[]; newKeys?: boolean; replace?: boolean }): Promise<LabKeytabExport> {
    const layout = this.layout(input);
    // Refused before any key changes: a new key that cannot be saved would be a lost key.
    const out = await keytabSaveTarget(input.path, { replace: input.replace });
    const wanted = input.enctypes?.map((e) => {
      const id = enctypeId(e);
      if (id === undefined || !/^[a-z]/.test(enctypeName(id))) throw new BenchFailure(`unknown enctype "${e}"`);
      return id;
    });
    if (wanted && wanted.length === 0) throw new BenchFailure('the enctype list is empty');
    if (!input.principals.length) throw new BenchFailure('name at least one principal to export');
    const keytab = await this.mutate(layout, async (realm) => {
      const passwords = await readPasswords(layout);
      const collected: Keytab[] = [];
      for (const given of input.principals) {
        const name = fullName(given, layout.realm);
        const scratch = path.join(layout.dir, `.export-${randomBytes(6).toString('hex')}.keytab`);
        try {
          if (input.newKeys) {
            if (principalKind(name) === 'krbtgt') throw new BenchFailure(`${name}: new krbtgt keys would invalidate every ticket; rotate it instead`);
            if (passwords[name] !== undefined) throw new BenchFailure(`${name} is a user with a password: new random keys would replace it (export without new keys)`);
            await realm.ktadd(scratch, name, wanted ? { enctypes: wanted.map(enctypeName) } : {});
            const fresh = await readKeytabFile(scratch);
            // The lab's own service keytab stays current with the new keys.
            if (principalKind(name) !== 'user' || (await keytabHolds(layout.serviceKeytab, name))) {
              await writeFileAtomic(layout.serviceKeytab, writeKeytab(mergeKeytabs([await readKeytabFile(layout.serviceKeytab, { missingIsEmpty: true }), fresh])));
            }
            collected.push(fresh);
          } else {
            await realm.ktadd(scratch, name, { norandkey: true });
            const current = await readKeytabFile(scratch);
            const kept = wanted ? current.entries.filter((e) => wanted.includes(e.enctype)) : current.entries;
            if (!kept.length) {
              const has = [...new Set(current.entries.map((e) => enctypeName(e.enctype)))].join(', ');
              throw new BenchFailure(`${name} has no ${wanted!.map(enctypeName).join(' or ')} key (it has ${has}); use newKeys to make keys of those enctypes`);
            }
            collected.push({ version: 0x502, entries: kept });
          }
        } finally {
          await rm(scratch, { force: true });
        }
      }
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

  private async create(layout: LabLayout): Promise<MitRealm> {
    await mkdir(path.dirname(layout.dir), { recursive: true, mode: 0o700 });
    const realm = await MitRealm.create({ dir: layout.dir, realm: layout.realm }).catch(async (error: unknown) => {
      await rm(layout.dir, { recursive: true, force: true });
      throw error;
    });
    try {
      if (layout.realm.startsWith(TEMPORARY_REALM_PREFIX)) await writeOwner(layout);
      const alice = `${LAB_USER}@${layout.realm}`;
      const password = randomBytes(18).toString('base64url');
      await updatePasswords(layout, (p) => void (p[alice] = password));
      await realm.addPrincipal(alice, { password });
      for (const service of LAB_SERVICES) await realm.addPrincipal(`${service}@${layout.realm}`, { randkey: true });
      // Like a real deployment: ktadd gives each service new keys (kvno 2) in the one service keytab.
      for (const service of LAB_SERVICES) await realm.ktadd(layout.serviceKeytab, `${service}@${layout.realm}`);
      await realm.ktadd(layout.clientKeytab, alice, { norandkey: true });
      await writeSettings(layout, { createdAt: new Date().toISOString(), clockOffsetSeconds: 0, staleKeytabs: [] });
      return realm;
    } catch (error) {
      await rm(layout.dir, { recursive: true, force: true });
      throw error;
    }
  }

  /** Keytabs someone deleted are exported again with the current keys (nothing changes in the database). */
  private async repairKeytabs(realm: MitRealm, layout: LabLayout, notes: string[]): Promise<void> {
    const needClient = !(await exists(layout.clientKeytab));
    const needService = !(await exists(layout.serviceKeytab));
    if (!needClient && !needService) return;
    const principals = await listPrincipals(realm);
    const passwords = await readPasswords(layout);
    const alice = `${LAB_USER}@${layout.realm}`;
    if (needClient && principals.some((p) => p.name === alice)) {
      await realm.ktadd(layout.clientKeytab, alice, { norandkey: true });
      notes.push(`${layout.clientKeytab} was missing: exported again`);
    }
    if (needService) {
      const services = principals.filter((p) => p.kind === 'service' && passwords[p.name] === undefined);
      for (const service of services) await realm.ktadd(layout.serviceKeytab, service.name, { norandkey: true });
      if (services.length) notes.push(`${layout.serviceKeytab} was missing: exported again`);
    }
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

  /** Orphaned KDCs, strays and temporary realms left by crashed runs (see the header). */
  private async cleanUp(current: LabLayout): Promise<string[]> {
    const notes: string[] = [];
    const root = labRoot(this.context.dataDir);
    for (const { pid, pidFile } of await kdcsUnder(root)) {
      const dir = path.dirname(pidFile);
      const realmGone = !(await exists(path.join(dir, 'kdc.conf')));
      // A stray: started for the realm we hold the lock of, yet not the process its pid file names.
      const stray = !realmGone && pidFile === current.pidFile && (await findKdc(pidFile))?.pid !== pid;
      if (!realmGone && !stray) continue;
      await stopPid(pid);
      notes.push(realmGone ? `stopped orphaned krb5kdc ${pid}: its realm ${dir} is gone` : `stopped stray krb5kdc ${pid} of ${current.realm}: its pid file names another process`);
    }
    const names = await readdir(root).catch(() => [] as string[]);
    for (const name of names) {
      if (!name.startsWith(TEMPORARY_REALM_PREFIX) || name === current.realm || !isValidRealmName(name)) continue;
      const layout = labLayout(this.context.dataDir, name);
      // Its maker is alive, or someone is creating or changing it right now (holds its lock).
      if ((await ownerAlive(layout)) || (await lockHeld(layout.lockFile))) continue;
      const kdc = await findKdc(layout.pidFile);
      if (kdc) await stopPid(kdc.pid);
      this.followers.get(name)?.stop();
      this.followers.delete(name);
      await rm(layout.dir, { recursive: true, force: true });
      await rm(layout.lockFile, { force: true });
      notes.push(`removed temporary realm ${name}: the process that made it is gone`);
    }
    return notes;
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
    const status = await this.readStatus(layout);
    if (status.state !== 'absent') await this.follow(layout);
    this.context.events.emit('lab.status', status);
    return status;
  }

  private async readStatus(layout: LabLayout): Promise<LabStatus> {
    const base = {
      realm: layout.realm,
      dir: layout.dir,
      keytabs: { service: layout.serviceKeytab, client: layout.clientKeytab },
      krb5Conf: layout.krb5Conf,
      env: labShellEnv(layout),
    };
    if (!(await realmExists(layout))) {
      return { ...base, state: 'absent', pid: null, port: null, kdc: null, uptimeSeconds: null, principals: [], ccache: { path: layout.ccache, tgtExpires: null }, clockOffsetSeconds: 0, staleKeytabs: [] };
    }
    const realm = await MitRealm.open(layout.dir);
    const [kdc, database, passwords, settings, serviceKeytab, tgt] = await Promise.all([
      findKdc(layout.pidFile),
      listPrincipals(realm),
      readPasswords(layout),
      readSettings(layout),
      readKeytabFile(layout.serviceKeytab, { missingIsEmpty: true }),
      readTgt(layout),
    ]);
    const principals: LabPrincipal[] = database.map((p) => ({
      name: p.name,
      kind: p.kind,
      kvno: p.kvno,
      enctypes: p.enctypes,
      flags: { requiresPreauth: p.requiresPreauth, allowTix: p.allowTix },
      hasPassword: passwords[p.name] !== undefined,
      inServiceKeytab: serviceKeytab.entries.some((e) => samePrincipal(e.principal, parsePrincipal(p.name))),
    }));
    const staleKeytabs: LabSettings['staleKeytabs'] = [];
    for (const record of settings.staleKeytabs) if (await exists(record.path)) staleKeytabs.push(record);
    return {
      ...base,
      state: kdc ? 'running' : 'stopped',
      pid: kdc?.pid ?? null,
      port: realm.port,
      kdc: `127.0.0.1:${realm.port}`,
      uptimeSeconds: kdc?.startedAt ? Math.max(0, Math.floor((Date.now() - kdc.startedAt) / 1000)) : null,
      principals,
      ccache: { path: layout.ccache, tgtExpires: tgt ? new Date(tgt.endtime * 1000).toISOString() : null },
      clockOffsetSeconds: kdc ? kdc.clockOffsetSeconds : settings.clockOffsetSeconds,
      staleKeytabs,
    };
  }
}

// ---- helpers -------------------------------------------------------------------------------------

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

async function lockHeld(lockFile: string): Promise<boolean> {
  const owner = Number((await readFile(lockFile, 'utf8').catch(() => '')).trim());
  return Number.isInteger(owner) && owner > 0 && pidAlive(owner);
}

/** A realm is there when its configuration, database and stash all are. */
async function realmExists(layout: LabLayout): Promise<boolean> {
  const files = [layout.kdcConf, layout.krb5Conf, path.join(layout.dir, 'principal'), path.join(layout.dir, 'stash')];
  return (await Promise.all(files.map(exists))).every(Boolean);
}

/**
 * "alice" → "alice@REALM"; a name in another realm is refused. Only plain characters pass, so a
 * name goes to kadmin.local's command line as it is.
 */
function fullName(name: string, realm: string): string {
  const trimmed = name.trim();
  if (!/^[A-Za-z0-9._\-/@$+=,:]{1,255}$/.test(trimmed) || trimmed.startsWith('-')) {
    throw new BenchFailure(`"${name}" is not a principal name the lab accepts (letters, digits and . _ - / @ $ + = , :)`);
  }
  const at = /(^|[^\\])@(.*)$/.exec(trimmed);
  if (!at) return `${trimmed}@${realm}`;
  if (at[2] !== realm) throw new BenchFailure(`${trimmed} is not in the lab realm ${realm}`);
  return trimmed;
}

async function keytabHolds(file: string, name: string): Promise<boolean> {
  const principal = parsePrincipal(name);
  return (await readKeytabFile(file, { missingIsEmpty: true }).catch(() => ({ entries: [] }) as unknown as Keytab)).entries.some((e) => samePrincipal(e.principal, principal));
}

async function removeFromKeytab(file: string, name: string): Promise<void> {
  if (!(await exists(file))) return;
  const keytab = await readKeytabFile(file);
  const principal = parsePrincipal(name);
  const kept = keytab.entries.filter((e) => !samePrincipal(e.principal, principal));
  if (kept.length !== keytab.entries.length) await writeFileAtomic(file, writeKeytab({ version: 0x502, entries: kept }));
}

/** Alice's TGT in the lab ccache: its client and times (KDC clock), or null. */
async function readTgt(layout: LabLayout): Promise<{ client: string; starttime: number; endtime: number } | null> {
  try {
    const { ccache } = parseCcache(await readFile(layout.ccache));
    const tgt = ccache.credentials.find((c) => c.server.components[0] === 'krbtgt' && c.server.components[1] === layout.realm && c.server.realm === layout.realm);
    if (!tgt) return null;
    return { client: formatPrincipal(tgt.client), starttime: tgt.starttime || tgt.authtime, endtime: tgt.endtime };
  } catch {
    return null;
  }
}
