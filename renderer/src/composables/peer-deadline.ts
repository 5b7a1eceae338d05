/**
 * The broker's authentication deadline while the probe pauses, in words, updated every second:
 * "the broker gives up in 7 s", or "the broker holds its deadline while you step". Only the bench's
 * broker says either (a User Property on each AUTH 0x18); for another broker the pause says that
 * it did not say. The engine turned the broker's "ms left" into a time (`at`) when it arrived.
 */
import type { ProbePending } from '@api/index';
import { computed, onBeforeUnmount, ref, watch, type Ref } from 'vue';

export type DeadlineTone = 'held' | 'running' | 'urgent' | 'passed' | 'unknown' | 'none';

/** Under this many seconds the countdown turns to a warning. */
const URGENT_SECONDS = 5;

export function usePeerDeadline(pending: Ref<ProbePending | null>) {
  const now = ref(Date.now());
  let ticker: ReturnType<typeof setInterval> | undefined;
  const stop = () => {
    clearInterval(ticker);
    ticker = undefined;
  };
  watch(
    () => pending.value?.peerDeadline,
    (deadline) => {
      stop();
      now.value = Date.now();
      if (deadline && 'at' in deadline) ticker = setInterval(() => (now.value = Date.now()), 1000);
    },
    { immediate: true },
  );
  onBeforeUnmount(stop);

  const secondsLeft = computed(() => {
    const deadline = pending.value?.peerDeadline;
    return deadline && 'at' in deadline ? Math.max(0, Math.ceil((Date.parse(deadline.at) - now.value) / 1000)) : null;
  });

  const tone = computed<DeadlineTone>(() => {
    const p = pending.value;
    // Before CONNECT there is no connection yet: no broker's clock runs.
    if (!p || p.packet === 'CONNECT') return 'none';
    if (!p.peerDeadline) return 'unknown';
    if ('held' in p.peerDeadline) return 'held';
    const left = secondsLeft.value ?? 0;
    return left === 0 ? 'passed' : left <= URGENT_SECONDS ? 'urgent' : 'running';
  });

  const text = computed(() => {
    switch (tone.value) {
      case 'held':
        return 'The broker holds its deadline while you step (up to 10 minutes).';
      case 'running':
      case 'urgent':
        return `The broker gives up in ${secondsLeft.value} s.`;
      case 'passed':
        return 'The broker\'s deadline has passed: it is refusing the connection.';
      case 'unknown':
        return 'The broker did not say how long it waits: it may give up while you read.';
      default:
        return '';
    }
  });

  return { tone, text, secondsLeft };
}
