import type { LabChange, LabChangePreview, LabChangeRequest, LabNewPrincipal, LabStatus } from '@api/lab';
import { useLogBuffer } from '../composables/log-buffer';
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { BenchClient } from '../api/client';
import { useBusy } from '../composables/busy';

/** Lines of KDC log the view keeps (older ones are dropped). */
const MAX_LOG_LINES = 2000;

/** A change asked for: what it will do, shown inline next to its button before it runs. */
export interface LabPendingChange {
  request: LabChangeRequest;
  preview: LabChangePreview | null;
  error: string | null;
}

/** What a change did (or what its undo restored), shown next to the button that made it. */
export interface LabChangeOutcome {
  principal: string;
  /** The change, while it can be undone. */
  change: LabChange | null;
  text: string;
  /** A stale keytab a rotation kept (opens in the Keytab view). */
  staleKeytab?: string | null;
  /** Where a removed principal's row was: its outcome stays there. */
  removedAt?: number;
  /** Set once undone: what came back. */
  restored?: string[];
}

/**
 * The lab realm as the Lab view shows it: its status (refreshed by every call and by the
 * `lab.status` event, so two windows stay in step), the KDC log fed live by `lab.kdcLog`, and
 * alice's password only after an explicit Reveal.
 */
const OPERATION_WORDS: Record<LabChangeRequest['operation'], string> = {
  rotateKey: 'rotating the key',
  setFlags: 'changing flags',
  removePrincipal: 'removing',
  setPassword: 'setting the password',
};

export const useLabStore = defineStore('lab', () => {
  const realm = ref('BENCH.TEST');
  const status = shallowRef<LabStatus | null>(null);
  const loading = ref(false);
  /** What is running now, in words ("Bringing the lab up…"); null when idle. */
  const { busy, busySince, error, run: runBusy } = useBusy<string>();
  const notice = ref<string | null>(null);
  const logBuffer = useLogBuffer(MAX_LOG_LINES);
  const { lines: logLines, paused, pending } = logBuffer;
  /** Paused: new lines wait here and the panel stays still. */
  const password = ref<string | null>(null);
  const pendingChange = shallowRef<LabPendingChange | null>(null);
  const outcome = shallowRef<LabChangeOutcome | null>(null);
  let subscribed = false;

  const pushLines = logBuffer.push;

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
  const addPrincipal = (bench: BenchClient, input: LabNewPrincipal) =>
    apply(`Adding ${input.name}…`, () => bench.api.lab.addPrincipal({ ...input, ...target() }), `${input.name} added${'random' in input ? ' to the service keytab' : ''}.`);

  // ---- changes that say what they do first, and can be undone ---------------------------------

  /** Asks the engine what a change would do: the confirm step shows it next to the button. */
  async function ask(bench: BenchClient, request: LabChangeRequest): Promise<void> {
    const full = { ...request, ...target() } as LabChangeRequest;
    pendingChange.value = { request: full, preview: null, error: null };
    try {
      const preview = await bench.api.lab.preview(full);
      if (pendingChange.value?.request === full) pendingChange.value = { request: full, preview, error: null };
    } catch (e) {
      if (pendingChange.value?.request === full) pendingChange.value = { request: full, preview: null, error: (e as Error).message };
    }
  }

  function cancelChange(): void {
    pendingChange.value = null;
  }

  /** The change confirmed: it runs, and its outcome (with its undo) appears where it was asked for. */
  async function confirmChange(bench: BenchClient, newPassword?: string): Promise<boolean> {
    const pending = pendingChange.value;
    if (!pending) return false;
    const request = pending.request;
    const index = status.value?.principals.findIndex((p) => p.name === request.name || p.name === `${request.name}@${realm.value}`) ?? -1;
    const made = await run(`${pending.preview?.principal ?? request.name}: ${OPERATION_WORDS[request.operation]}…`, () => makeChange(bench, request, newPassword));
    if (!made) return false;
    pendingChange.value = null;
    status.value = made.status;
    const change = made.status.lastChange;
    outcome.value = {
      principal: pending.preview?.principal ?? change?.principal ?? request.name,
      change,
      text: change?.summary ?? 'Done.',
      staleKeytab: made.staleKeytab,
      ...(request.operation === 'removePrincipal' && index >= 0 ? { removedAt: index } : {}),
    };
    if (request.operation === 'setPassword') password.value = null;
    return true;
  }

  async function makeChange(bench: BenchClient, request: LabChangeRequest, newPassword?: string): Promise<{ status: LabStatus; staleKeytab?: string | null }> {
    const { name } = request;
    switch (request.operation) {
      case 'rotateKey': {
        const rotation = await bench.api.lab.rotateKey({ ...target(), name });
        return { status: rotation.status, staleKeytab: rotation.staleKeytab };
      }
      case 'removePrincipal':
        return { status: await bench.api.lab.removePrincipal({ ...target(), name }) };
      case 'setPassword':
        return { status: await bench.api.lab.setPassword({ ...target(), name, password: newPassword ?? '' }) };
      case 'setFlags': {
        const { operation: _operation, realm: _realm, ...flags } = request;
        return { status: await bench.api.lab.setFlags({ ...target(), ...flags }) };
      }
    }
  }

  /** Reverts the change the engine says is the latest (the one shown, by its id). */
  async function undo(bench: BenchClient, change: LabChange): Promise<boolean> {
    const undone = await run(`Undoing "${change.summary}"…`, () => bench.api.lab.undo({ ...target(), id: change.id }));
    if (!undone) return false;
    status.value = undone.status;
    outcome.value = { principal: change.principal, change: null, text: `Undone: ${change.summary}.`, restored: undone.restored };
    return true;
  }

  function dismissOutcome(): void {
    outcome.value = null;
  }

  async function revealPassword(bench: BenchClient): Promise<void> {
    const revealed = await run('Revealing…', () => bench.api.lab.revealPassword(target()));
    if (revealed) password.value = revealed.password;
  }

  function hidePassword(): void {
    password.value = null;
  }

  const setPaused = logBuffer.setPaused;
  const clearLog = logBuffer.clear;

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
    pendingChange,
    outcome,
    load,
    poll,
    up,
    down,
    startKdc,
    stopKdc,
    refreshTicket,
    setClock,
    addPrincipal,
    ask,
    cancelChange,
    confirmChange,
    undo,
    dismissOutcome,
    revealPassword,
    hidePassword,
    setPaused,
    clearLog,
  };
});
