import { createRouter, createWebHashHistory } from 'vue-router';
import { nextTick, type Component } from 'vue';
import type { useWorkspaceStore } from './stores/workspace';
import BrokerView from './views/BrokerView.vue';
import CapturesView from './views/CapturesView.vue';
import CcacheView from './views/CcacheView.vue';
import DecoderView from './views/DecoderView.vue';
import DiagnoseView from './views/DiagnoseView.vue';
import DoctorView from './views/DoctorView.vue';
import ExportView from './views/ExportView.vue';
import KeytabView from './views/KeytabView.vue';
import LabView from './views/LabView.vue';
import PlannedView from './views/PlannedView.vue';
import ProbeView from './views/ProbeView.vue';
import SaslView from './views/SaslView.vue';
import StartView from './views/StartView.vue';
import HistoryView from './views/HistoryView.vue';
import HttpView from './views/HttpView.vue';
import Krb5ConfView from './views/Krb5ConfView.vue';
import { views } from './views';

/** The built views by path; every other view is the planned-view empty state. */
const readyViews: Record<string, Component> = {
  '/start': StartView,
  '/history': HistoryView,
  '/krb5conf': Krb5ConfView,
  '/doctor': DoctorView,
  '/keytab': KeytabView,
  '/ccache': CcacheView,
  '/decoder': DecoderView,
  '/lab': LabView,
  '/sasl': SaslView,
  '/broker': BrokerView,
  '/probe': ProbeView,
  '/diagnose': DiagnoseView,
  '/captures': CapturesView,
  '/http': HttpView,
  '/export': ExportView,
};

/** Hash history: works from file:// in Electron and from any path in web mode. */
export const router = createRouter({
  history: createWebHashHistory(),
  routes: [
    { path: '/', redirect: '/start' },
    ...views.map((view) => ({
      path: view.path,
      component: (view.ready && readyViews[view.path]) || PlannedView,
      meta: { view },
    })),
    { path: '/:unknown(.*)*', redirect: '/start' },
  ],
});

type Workspace = ReturnType<typeof useWorkspaceStore>;

/**
 * Where the app opens: the saved route when the address names no view (a restart, or the URL
 * `kbench web` printed), the first time the Start-here page; null when the address names a view.
 * (The hash router has already turned an empty hash into "#/" by the time this runs.)
 */
export function restoreRoute(workspace: Workspace): string | null {
  rememberRoutes(workspace);
  const named = window.location.hash.replace(/^#/, '');
  if (named && named !== '/') return null;
  const saved = workspace.viewState<{ path?: string }>('route');
  return typeof saved?.path === 'string' && saved.path.startsWith('/') ? saved.path : '/start';
}

let remembering = false;
function rememberRoutes(workspace: Workspace): void {
  if (remembering) return;
  remembering = true;
  router.afterEach((to) => workspace.saveView('route', { path: to.fullPath }));
}

let firstNavigation = true;
router.afterEach((to) => {
  // Each view starts at its top, not where the previous one was scrolled to.
  document.getElementById('main')?.scrollTo(0, 0);
  const view = to.meta.view as { title: string } | undefined;
  document.title = view ? `${view.title} — Kerberos Bench` : 'Kerberos Bench';
  // After navigating, keyboard focus moves into the view (its heading), as a screen reader
  // user expects; not on the first load, where the page itself has focus.
  if (firstNavigation) {
    firstNavigation = false;
    return;
  }
  void nextTick(() => {
    const heading = document.querySelector<HTMLElement>('#main h1');
    if (!heading) return;
    if (!heading.hasAttribute('tabindex')) heading.setAttribute('tabindex', '-1');
    heading.focus({ preventScroll: true });
  });
});
