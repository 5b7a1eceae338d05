import { createPinia } from 'pinia';
import { createApp } from 'vue';
import App from './App.vue';
import { connectBench } from './api/client';
import { benchKey } from './composables/bench';
import { router, restoreRoute } from './router';
import { applyStoredTheme } from './composables/theme';
import { useWorkspaceStore } from './stores/workspace';
import './styles/base.css';

applyStoredTheme();
const app = createApp(App);
const bench = connectBench();
const pinia = createPinia();
app.provide(benchKey, bench);
app.use(pinia);

// The workspace first: every store restores its view from it when it is created, and the app
// opens where it was left (unless the address names a view).
void useWorkspaceStore(pinia)
  .load(bench)
  .then(async () => {
    const opening = restoreRoute(useWorkspaceStore(pinia));
    app.use(router);
    if (opening) await router.replace(opening).catch(() => undefined);
  })
  .finally(() => app.mount('#app'));
