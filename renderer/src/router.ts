import { createRouter, createWebHashHistory } from 'vue-router';
import DoctorView from './views/DoctorView.vue';
import PlannedView from './views/PlannedView.vue';
import { views } from './views';

/** Hash history: works from file:// in Electron and from any path in web mode. */
export const router = createRouter({
  history: createWebHashHistory(),
  routes: [
    { path: '/', redirect: '/doctor' },
    ...views.map((view) => ({
      path: view.path,
      component: view.ready ? DoctorView : PlannedView,
      meta: { view },
    })),
    { path: '/:unknown(.*)*', redirect: '/doctor' },
  ],
});

router.afterEach((to) => {
  const view = to.meta.view as { title: string } | undefined;
  document.title = view ? `${view.title} — Kerberos Bench` : 'Kerberos Bench';
});
