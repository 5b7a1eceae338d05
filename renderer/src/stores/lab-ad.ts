import type { DoctorItem } from '@api/index';
import type { LabAccountChange, LabNewAccount, LabSpnHolder, LabStatus, LabUpResult } from '@api/lab';
import { useLogBuffer } from '../composables/log-buffer';
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { BenchClient } from '../api/client';
import { useBusy } from '../composables/busy';
import { useWorkspaceStore } from './workspace';

/** The AD lab's default realm (main/lab/samba/service.ts DEFAULT_AD_REALM); the MIT lab's is BENCH.TEST. */
export const AD_LAB_REALM = 'AD.TEST';
/** Lines of the DC's log the view keeps. */
const MAX_LOG_LINES = 2000;

/** Which lab realm the Lab view shows. */
export type LabPick = 'mit' | 'ad';

/**
 * What an operation did (or why it failed, in the service's words: they carry the fix), shown
 * where it was asked for: `spot` is "account:NAME", "add", "clock" or "realm".
 */
export interface AdLabResult {
  spot: string;
  ok: boolean;
  text: string;
  /** Lines under the text: SPN holders, keytab entries. */
  items?: string[];
  /** A keytab written (opens in the Keytab view). */
  keytab?: string;
}

/**
 * The AD lab realm (a Samba AD DC, realm AD.TEST) as the Lab view shows it: its status with the
 * accounts (refreshed by every call and by the `lab.status` event), the DC's log (`lab.kdcLog`),
 * passwords only once revealed (never kept in the workspace), and which lab the view shows —
 * the MIT one or this one — kept in the workspace so a reload comes back to it.
 */
export const useAdLabStore = defineStore('lab-ad', () => {
  const picked = ref<LabPick>('mit');
  const status = shallowRef<LabStatus | null>(null);
  const loading = ref(false);
  const { busy, busySince, error, run: runBusy } = useBusy<string>();
  const notice = ref<string | null>(null);
  const result = shallowRef<AdLabResult | null>(null);
  /** Revealed passwords by account name (memory only). */
  const passwords = ref<Record<string, string>>({});
  const logBuffer = useLogBuffer(MAX_LOG_LINES);
  const { lines: logLines, paused, pending } = logBuffer;
  /** The doctor's AD lab checks (null: not asked yet), for "why the AD lab cannot run here". */
  const doctor = shallowRef<DoctorItem[] | null>(null);
  const checking = ref(false);
  let subscribed = false;

  useWorkspaceStore().persist(
    'lab',
    () => ({ picked: picked.value }),
    (saved) => {
      if (saved.picked === 'mit' || saved.picked === 'ad') picked.value = saved.picked;
    },
  );

  const target = () => ({ realm: AD_LAB_REALM, kind: 'ad' as const });

  function subscribe(bench: BenchClient): void {
    if (subscribed) return;
    subscribed = true;
    bench.on('lab.kdcLog', (event) => {
      if (event.realm === AD_LAB_REALM) pushLines(event.lines);
    });
    bench.on('lab.status', (next) => {
      if (next.realm === AD_LAB_REALM && next.kind === 'ad') status.value = next;
    });
  }

  const pushLines = logBuffer.push;

  async function load(bench: BenchClient): Promise<void> {
    subscribe(bench);
    loading.value = true;
    try {
      const next = await bench.api.lab.status(target());
      status.value = next;
      if (next.state !== 'absent') {
        logLines.value = (await bench.api.lab.log({ ...target(), lines: 200 })).lines;
        pending.value = [];
      }
    } catch (e) {
      error.value = (e as Error).message;
    } finally {
      loading.value = false;
    }
  }

  /** A quiet re-read (a `kbench lab …` in a shell sends no event here); skipped while busy. */
  async function poll(bench: BenchClient): Promise<void> {
    if (busy.value || loading.value) return;
    const next = await bench.api.lab.status(target()).catch(() => null);
    if (next && !busy.value) status.value = next;
  }

  /**
   * Runs a call that returns the new status; its outcome (or the service's error) lands at `spot`.
   * Resolves true when it worked.
   */
  async function act(spot: string, what: string, call: () => Promise<LabStatus>, done: string): Promise<boolean> {
    notice.value = null;
    result.value = null;
    const next = await runBusy(what, call);
    if (!next) {
      result.value = { spot, ok: false, text: error.value ?? 'It failed.' };
      error.value = null;
      return false;
    }
    status.value = next;
    result.value = { spot, ok: true, text: done };
    return true;
  }

  async function up(bench: BenchClient): Promise<LabUpResult | undefined> {
    subscribe(bench);
    notice.value = null;
    result.value = null;
    const made = await runBusy('Bringing the AD lab up…', () => bench.api.lab.up(target()));
    if (!made) return undefined;
    status.value = made;
    const what = made.created ? 'AD realm created and its DC started' : made.started ? 'DC started' : 'The AD lab was already up';
    notice.value = `${what} in ${(made.elapsedMs / 1000).toFixed(1)} s.${made.notes.length ? ` ${made.notes.join('; ')}.` : ''}`;
    const log = await bench.api.lab.log({ ...target(), lines: 200 }).catch(() => null);
    if (log) logLines.value = log.lines;
    return made;
  }

  const startDc = (bench: BenchClient) => act('realm', 'Starting the DC…', () => bench.api.lab.startKdc(target()), 'DC started.');
  const stopDc = (bench: BenchClient) => act('realm', 'Stopping the DC…', () => bench.api.lab.stopKdc(target()), 'DC stopped.');
  const refreshTicket = (bench: BenchClient) => act('realm', 'Getting alice a new TGT…', () => bench.api.lab.refreshTicket(target()), 'alice has a new TGT.');
  async function destroy(bench: BenchClient): Promise<boolean> {
    const ok = await act('realm', 'Destroying the AD realm…', () => bench.api.lab.down({ ...target(), destroy: true }), `Realm ${AD_LAB_REALM} destroyed.`);
    if (ok) {
      logLines.value = [];
      passwords.value = {};
    }
    return ok;
  }
  const setClock = (bench: BenchClient, seconds: number) =>
    act(
      'clock',
      'Restarting the DC under the new clock…',
      () => bench.api.lab.setClockOffset({ ...target(), seconds }),
      seconds === 0 ? 'The DC runs on real time again.' : `The DC's clock runs ${seconds > 0 ? '+' : ''}${seconds} s off (libfaketime); alice has a TGT from it.`,
    );

  // ---- accounts --------------------------------------------------------------------------------

  const addAccount = (bench: BenchClient, input: Omit<LabNewAccount, 'realm' | 'kind'>) =>
    act('add', `Adding ${input.name}…`, () => bench.api.lab.addAccount({ ...input, ...target() }), `${input.name} added${input.type === 'service' && input.spns?.length ? ', its keys in the service keytab' : ''}.`);
  const setAccount = (bench: BenchClient, change: Omit<LabAccountChange, 'realm' | 'kind'>, done: string) =>
    act(`account:${change.name}`, `${change.name}: changing…`, () => bench.api.lab.setAccount({ ...change, ...target() }), done);
  async function removeAccount(bench: BenchClient, name: string): Promise<boolean> {
    const ok = await act(`account:${name}`, `Removing ${name}…`, () => bench.api.lab.removeAccount({ ...target(), name }), `${name} removed from the directory; its keys left the service keytab.`);
    if (ok) {
      const { [name]: _gone, ...rest } = passwords.value;
      passwords.value = rest;
    }
    return ok;
  }
  async function setPassword(bench: BenchClient, name: string, password: string): Promise<boolean> {
    forget(name);
    return act(`account:${name}`, `${name}: setting the password…`, () => bench.api.lab.setPassword({ ...target(), name, password }), `${name} has a new password (an admin reset): kvno + 1, the lab's keytabs follow.`);
  }
  async function changePassword(bench: BenchClient, name: string, newPassword: string): Promise<boolean> {
    forget(name);
    return act(`account:${name}`, `${name}: kpasswd…`, () => bench.api.lab.changePassword({ ...target(), name, newPassword }), `${name} changed its own password with kpasswd: kvno + 1, the lab's keytabs follow.`);
  }
  const addSpn = (bench: BenchClient, account: string, spn: string, force: boolean) =>
    act(
      `account:${account}`,
      `${account}: adding ${spn}…`,
      () => bench.api.lab.addSpn({ ...target(), account, spn, ...(force ? { force } : {}) }),
      force ? `${spn} written to ${account} past AD's check: two accounts hold it now (clients get "Server not found in Kerberos database").` : `${account} holds ${spn}.`,
    );
  const removeSpn = (bench: BenchClient, account: string, spn: string) =>
    act(`account:${account}`, `${account}: removing ${spn}…`, () => bench.api.lab.removeSpn({ ...target(), account, spn }), `${spn} removed from ${account}.`);

  async function findSpn(bench: BenchClient, account: string, spn: string): Promise<LabSpnHolder[] | undefined> {
    result.value = null;
    const holders = await runBusy(`Searching LDAP for ${spn}…`, () => bench.api.lab.findSpn({ ...target(), spn }));
    const spot = `account:${account}`;
    if (!holders) {
      result.value = { spot, ok: false, text: error.value ?? 'The search failed.' };
      error.value = null;
      return undefined;
    }
    const text = `LDAP (servicePrincipalName=${spn}): ${holders.length === 0 ? 'no account holds it' : holders.length === 1 ? 'one account holds it' : `${holders.length} accounts hold it — a duplicate SPN`}.`;
    result.value = { spot, ok: holders.length === 1, text, items: holders.map((h) => `${h.account} — ${h.dn}`) };
    return holders;
  }

  async function exportKeytab(bench: BenchClient, account: string, path: string, principals: string[]): Promise<boolean> {
    result.value = null;
    const spot = `account:${account}`;
    const made = await runBusy(`Exporting ${account}'s keys…`, () => bench.api.lab.exportKeytab({ ...target(), path, principals }));
    if (!made) {
      result.value = { spot, ok: false, text: error.value ?? 'The export failed.' };
      error.value = null;
      return false;
    }
    result.value = { spot, ok: true, text: `${made.entries.length} key${made.entries.length === 1 ? '' : 's'} written:`, items: made.entries.map((e) => `${e.principal} kvno ${e.kvno} ${e.enctype}`), keytab: made.path };
    return true;
  }

  async function revealPassword(bench: BenchClient, name: string): Promise<void> {
    result.value = null;
    const revealed = await runBusy('Revealing…', () => bench.api.lab.revealPassword({ ...target(), name }));
    if (revealed) passwords.value = { ...passwords.value, [name]: revealed.password };
    else {
      result.value = { spot: `account:${name}`, ok: false, text: error.value ?? 'It failed.' };
      error.value = null;
    }
  }

  function forget(name: string): void {
    const { [name]: _hidden, ...rest } = passwords.value;
    passwords.value = rest;
  }

  /** Runs the doctor and keeps its AD lab checks (ids naming ad or samba). */
  async function checkMachine(bench: BenchClient): Promise<void> {
    if (checking.value) return;
    checking.value = true;
    try {
      doctor.value = (await bench.api.system.doctor()).filter((item) => /(^|-)ad(-|$)|samba/i.test(item.id));
    } catch {
      doctor.value = [];
    } finally {
      checking.value = false;
    }
  }

  function dismiss(): void {
    result.value = null;
  }

  const setPaused = logBuffer.setPaused;
  const clearLog = logBuffer.clear;

  return {
    picked,
    status,
    loading,
    busy,
    busySince,
    error,
    notice,
    result,
    passwords,
    doctor,
    checking,
    logLines,
    paused,
    pending,
    load,
    poll,
    up,
    startDc,
    stopDc,
    refreshTicket,
    destroy,
    setClock,
    addAccount,
    setAccount,
    removeAccount,
    setPassword,
    changePassword,
    addSpn,
    removeSpn,
    findSpn,
    exportKeytab,
    revealPassword,
    checkMachine,
    hidePassword: forget,
    dismiss,
    setPaused,
    clearLog,
  };
});
