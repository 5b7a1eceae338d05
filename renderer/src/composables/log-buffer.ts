import { ref } from 'vue';

/**
 * A followed log's last lines (a KDC's or a DC's), with pause: while paused, new lines wait in
 * `pending` and join the view on resume — the user reading a line never sees it scroll away.
 */
export function useLogBuffer(max: number) {
  const lines = ref<string[]>([]);
  const paused = ref(false);
  const pending = ref<string[]>([]);

  function push(added: string[]): void {
    if (paused.value) pending.value = [...pending.value, ...added].slice(-max);
    else lines.value = [...lines.value, ...added].slice(-max);
  }

  /** Starts again from `initial` (a fresh read of the log), dropping what waited. */
  function reset(initial: string[] = []): void {
    lines.value = initial.slice(-max);
    pending.value = [];
  }

  function setPaused(on: boolean): void {
    paused.value = on;
    if (!on && pending.value.length) {
      lines.value = [...lines.value, ...pending.value].slice(-max);
      pending.value = [];
    }
  }

  return { lines, paused, pending, push, reset, setPaused, clear: () => reset() };
}
