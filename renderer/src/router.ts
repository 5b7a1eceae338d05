import { createRouter, createWebHashHistory } from 'vue-router';
import type { Component } from 'vue';
import BrokerView from './views/BrokerView.vue';
import CcacheView from './views/CcacheView.vue';
import DecoderView from './views/DecoderView.vue';
import DiagnoseView from './views/DiagnoseView.vue';
import DoctorView from './views/DoctorView.vue';
import KeytabView from './views/KeytabView.vue';
import LabView from './views/LabView.vue';
import PlannedView from './views/PlannedView.vue';
import ProbeView from './views/ProbeView.vue';
import SaslView from './views/SaslView.vue';
import { views } from './views';

/** The built views by path; every other view is the planned-view empty state. */
const readyViews: Record<string, Component> = {
  '/doctor': DoctorView,
  '/keytab': KeytabView,
  '/ccache': CcacheView,
  '/decoder': DecoderView,
  '/lab': LabView,
  '/sasl': SaslView,
  '/broker': BrokerView,
  '/probe': ProbeView,
  '/diagnose': DiagnoseView,
};

/** Hash history: works from file:// in Electron and from any path in web mode. */
export const router = createRouter({
  history: createWebHashHistory(),
  routes: [
    { path: '/', redirect: '/doctor' },
    ...views.map((view) => ({
      path: view.path,
      component: (view.ready && readyViews[view.path]) || PlannedView,
      meta: { view },
    })),
    { path: '/:unknown(.*)*', redirect: '/doctor' },
  ],
});

router.afterEach((to) => {
  // Each view starts at its top, not where the previous one was scrolled to.
  document.getElementById('main')?.scrollTo(0, 0);
  const view = to.meta.view as { title: string } | undefined;
  document.title = view ? `${view.title} — Kerberos Bench` : 'Kerberos Bench';
});
