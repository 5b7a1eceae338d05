import { onBeforeUnmount, onMounted, ref, watch } from 'vue';

/**
 * A lab realm panel's clock: `now` ticks every second (uptime, elapsed time, the TGT countdown go
 * on between status reads), `statusAt` is when the shown status was read, and the status is read
 * again every 10 s while the window is visible — changes made from a shell (kbench lab …) send no
 * event to this window.
 */
export function useLabClock(status: () => unknown, poll: () => void) {
  const now = ref(Date.now());
  const statusAt = ref(Date.now());
  watch(status, () => (statusAt.value = Date.now()));
  let timer: ReturnType<typeof setInterval> | undefined;
  let poller: ReturnType<typeof setInterval> | undefined;
  onMounted(() => {
    timer = setInterval(() => (now.value = Date.now()), 1000);
    poller = setInterval(() => {
      if (document.visibilityState === 'visible') poll();
    }, 10_000);
  });
  onBeforeUnmount(() => {
    clearInterval(timer);
    clearInterval(poller);
  });
  return { now, statusAt };
}
