import { ref } from 'vue';

/**
 * The busy/error state of a store whose actions the views show as they run: what is running (a
 * label), since when, and the last failure in words. `run` never throws — a failed action leaves
 * its message in `error` and resolves to undefined — so a view's click handler needs no try/catch.
 */
export function useBusy<K extends string>() {
  const busy = ref<K | null>(null);
  const busySince = ref<number | null>(null);
  const error = ref<string | null>(null);

  async function run<T>(what: K, action: () => Promise<T>): Promise<T | undefined> {
    busy.value = what;
    busySince.value = Date.now();
    error.value = null;
    try {
      return await action();
    } catch (e) {
      error.value = (e as Error).message;
      return undefined;
    } finally {
      busy.value = null;
      busySince.value = null;
    }
  }

  return { busy, busySince, error, run };
}
