import { createPinia } from 'pinia';
import { createApp } from 'vue';
import App from './App.vue';
import { connectBench } from './api/client';
import { benchKey } from './composables/bench';
import { router } from './router';
import { applyStoredTheme } from './composables/theme';
import './styles/base.css';

applyStoredTheme();
const app = createApp(App);
app.provide(benchKey, connectBench());
app.use(createPinia());
app.use(router);
app.mount('#app');
