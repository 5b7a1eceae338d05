import type { DoctorItem } from '@api/index';
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { BenchClient } from '../api/client';

/** The last doctor run: items, live progress while running, and the error if the call failed. */
export const useDoctorStore = defineStore('doctor', () => {
  const items = ref<DoctorItem[]>([]);
  const running = ref(false);
  const progress = ref({ done: 0, total: 0 });
  const error = ref<string | null>(null);
  const finishedAt = ref<Date | null>(null);

  // The engine's status decides, so the counts match what kbench doctor prints.
  const failedRequired = computed(() => items.value.filter((i) => i.status === 'fail'));
  const warnings = computed(() => items.value.filter((i) => i.status === 'warn'));

  async function run(bench: BenchClient): Promise<void> {
    if (running.value) return;
    running.value = true;
    error.value = null;
    progress.value = { done: 0, total: 0 };
    const stop = bench.on('system.doctorProgress', (p) => (progress.value = { done: p.done, total: p.total }));
    try {
      items.value = await bench.api.system.doctor();
      finishedAt.value = new Date();
    } catch (e) {
      error.value = (e as Error).message;
    } finally {
      stop();
      running.value = false;
    }
  }

  return { items, running, progress, error, finishedAt, failedRequired, warnings, run };
});
