import { createPinia } from 'pinia';
import { createApp } from 'vue';
import App from './App.vue';
import { connectBench } from './api/client';
import { benchKey } from './composables/bench';
import { router } from './router';
import { applyStoredTheme } from './composables/theme';
import './styles/base.css';

// Web mode opens as /?token=…; the host has set the session cookie by now, so the token leaves
// the address bar (and the history) at once.
if (new URLSearchParams(location.search).has('token')) history.replaceState(null, '', `${location.pathname}${location.hash}`);
applyStoredTheme();
const app = createApp(App);
app.provide(benchKey, connectBench());
app.use(createPinia());
app.use(router);
app.mount('#app');
