import type { LabNewPrincipal, LabStatus } from '@api/lab';
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { BenchClient } from '../api/client';
import { useBusy } from '../composables/busy';

/** Lines of KDC log the view keeps (older ones are dropped). */
const MAX_LOG_LINES = 2000;

/**
 * The lab realm as the Lab view shows it: its status (refreshed by every call and by the
 * `lab.status` event, so two windows stay in step), the KDC log fed live by `lab.kdcLog`, and
 * alice's password only after an explicit Reveal.
 */
export const useLabStore = defineStore('lab', () => {
  const realm = ref('BENCH.TEST');
  const status = shallowRef<LabStatus | null>(null);
  const loading = ref(false);
  /** What is running now, in words ("Bringing the lab up…"); null when idle. */
  const { busy, busySince, error, run: runBusy } = useBusy<string>();
  const notice = ref<string | null>(null);
  const logLines = ref<string[]>([]);
  /** Paused: new lines wait here and the panel stays still. */
  const paused = ref(false);
  const pending = ref<string[]>([]);
  const password = ref<string | null>(null);
  let subscribed = false;

  function pushLines(lines: string[]): void {
    if (paused.value) {
      pending.value = [...pending.value, ...lines].slice(-MAX_LOG_LINES);
      return;
    }
    logLines.value = [...logLines.value, ...lines].slice(-MAX_LOG_LINES);
  }

  function subscribe(bench: BenchClient): void {
    if (subscribed) return;
    subscribed = true;
    bench.on('lab.kdcLog', (event) => {
      if (event.realm === realm.value) pushLines(event.lines);
    });
    bench.on('lab.status', (next) => {
      if (next.realm === realm.value) status.value = next;
    });
  }

  function run<T>(what: string, call: () => Promise<T>): Promise<T | undefined> {
    notice.value = null;
    return runBusy(what, call);
  }


  const target = () => ({ realm: realm.value });

  async function load(bench: BenchClient): Promise<void> {
    subscribe(bench);
    loading.value = true;
    error.value = null;
    try {
      const [next, log] = await Promise.all([bench.api.lab.status(target()), bench.api.lab.log({ ...target(), lines: 200 })]);
      status.value = next;
      logLines.value = log.lines;
      pending.value = [];
    } catch (e) {
      error.value = (e as Error).message;
    } finally {
      loading.value = false;
    }
  }

  /**
   * Re-reads the status quietly (the view polls: a `kbench lab …` in a shell changes the realm from
   * another process, which sends no event here). Skipped while a change is running.
   */
  async function poll(bench: BenchClient): Promise<void> {
    if (busy.value || loading.value) return;
    try {
      const next = await bench.api.lab.status(target());
      if (!busy.value) status.value = next;
    } catch {
      // The next load or action shows the error.
    }
  }

  async function up(bench: BenchClient): Promise<void> {
    subscribe(bench);
    const result = await run('Bringing the lab up…', () => bench.api.lab.up(target()));
    if (!result) return;
    status.value = result;
    const what = result.created ? 'Realm created and KDC started' : result.started ? 'KDC started' : 'The lab was already up';
    notice.value = `${what} in ${(result.elapsedMs / 1000).toFixed(1)} s.${result.notes.length ? ` ${result.notes.join(' ')}` : ''}`;
    if (result.created) {
      const log = await bench.api.lab.log({ ...target(), lines: 200 }).catch(() => null);
      if (log) logLines.value = log.lines;
    }
  }

  async function apply(what: string, call: () => Promise<LabStatus>, done?: string): Promise<boolean> {
    const next = await run(what, call);
    if (!next) return false;
    status.value = next;
    if (done) notice.value = done;
    return true;
  }

  const down = (bench: BenchClient, destroy: boolean) =>
    apply(destroy ? 'Destroying the realm…' : 'Stopping the KDC…', () => bench.api.lab.down({ ...target(), destroy }), destroy ? `Realm ${realm.value} destroyed.` : 'KDC stopped.').then((ok) => {
      if (ok && destroy) {
        logLines.value = [];
        password.value = null;
      }
      return ok;
    });
  const startKdc = (bench: BenchClient) => apply('Starting the KDC…', () => bench.api.lab.startKdc(target()), 'KDC started.');
  const stopKdc = (bench: BenchClient) => apply('Stopping the KDC…', () => bench.api.lab.stopKdc(target()), 'KDC stopped.');
  const refreshTicket = (bench: BenchClient) => apply('Getting alice a new TGT…', () => bench.api.lab.refreshTicket(target()), 'alice has a new TGT.');
  const setClock = (bench: BenchClient, seconds: number) =>
    apply('Restarting the KDC with the new clock…', () => bench.api.lab.setClockOffset({ ...target(), seconds }), seconds === 0 ? 'KDC clock back to real time.' : `KDC clock offset ${seconds > 0 ? '+' : ''}${seconds} s.`);
  const setFlags = (bench: BenchClient, name: string, flags: { requiresPreauth?: boolean; allowTix?: boolean }) =>
    apply(`Changing the flags of ${name}…`, () => bench.api.lab.setFlags({ ...target(), name, ...flags }), `Flags of ${name} changed.`);
  const remove = (bench: BenchClient, name: string) => apply(`Removing ${name}…`, () => bench.api.lab.removePrincipal({ ...target(), name }), `${name} removed.`);
  const setPassword = (bench: BenchClient, name: string, newPassword: string) =>
    apply(`Setting the password of ${name}…`, () => bench.api.lab.setPassword({ ...target(), name, password: newPassword }), `New password for ${name}.`).then((ok) => {
      if (ok) password.value = null;
      return ok;
    });
  const addPrincipal = (bench: BenchClient, input: LabNewPrincipal) =>
    apply(`Adding ${input.name}…`, () => bench.api.lab.addPrincipal({ ...input, ...target() }), `${input.name} added${'random' in input ? ' to the service keytab' : ''}.`);

  async function rotate(bench: BenchClient, name: string): Promise<boolean> {
    const rotation = await run(`Rotating the key of ${name}…`, () => bench.api.lab.rotateKey({ ...target(), name }));
    if (!rotation) return false;
    status.value = rotation.status;
    notice.value = `${rotation.principal}: kvno ${rotation.oldKvno} → ${rotation.newKvno}.${rotation.staleKeytab ? ` The old service keytab is kept as ${rotation.staleKeytab}.` : ''}`;
    return true;
  }

  async function revealPassword(bench: BenchClient): Promise<void> {
    const revealed = await run('Revealing…', () => bench.api.lab.revealPassword(target()));
    if (revealed) password.value = revealed.password;
  }

  function hidePassword(): void {
    password.value = null;
  }

  function setPaused(on: boolean): void {
    paused.value = on;
    if (!on && pending.value.length) {
      logLines.value = [...logLines.value, ...pending.value].slice(-MAX_LOG_LINES);
      pending.value = [];
    }
  }

  function clearLog(): void {
    logLines.value = [];
    pending.value = [];
  }

  return {
    realm,
    status,
    loading,
    busy,
    busySince,
    error,
    notice,
    logLines,
    paused,
    pending,
    password,
    load,
    poll,
    up,
    down,
    startKdc,
    stopKdc,
    refreshTicket,
    setClock,
    setFlags,
    remove,
    setPassword,
    addPrincipal,
    rotate,
    revealPassword,
    hidePassword,
    setPaused,
    clearLog,
  };
});
