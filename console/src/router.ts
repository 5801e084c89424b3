import { createRouter, createWebHistory } from 'vue-router';
import { loadSession, session, setUnauthorizedHandler } from './api.js';
import Jobs from './views/Jobs.vue';
import Layout from './views/Layout.vue';
import SignIn from './views/SignIn.vue';

/* Sign-in and the jobs list load first; every other screen (charts, records, import…) on demand. */

export const router = createRouter({
  history: createWebHistory('/console/'),
  routes: [
    { path: '/signin', name: 'signin', component: SignIn, meta: { public: true } },
    {
      path: '/',
      component: Layout,
      children: [
        { path: '', redirect: { name: 'jobs' } },
        { path: 'jobs', name: 'jobs', component: Jobs },
        { path: 'jobs/new', name: 'newJob', component: () => import('./views/NewJob.vue') },
        { path: 'jobs/:id(\\d+)', name: 'job', component: () => import('./views/JobDetail.vue'), props: true },
        {
          path: 'jobs/:id(\\d+)/import',
          name: 'import',
          component: () => import('./views/ImportCustomers.vue'),
          props: true,
        },
        {
          path: 'jobs/:id(\\d+)/records',
          name: 'records',
          component: () => import('./views/Records.vue'),
          props: true,
        },
        { path: 'flows', name: 'flows', component: () => import('./views/Flows.vue') },
        { path: 'flows/new', name: 'newFlow', component: () => import('./views/FlowEditor.vue') },
        { path: 'flows/:id(\\d+)', name: 'flow', component: () => import('./views/FlowEditor.vue'), props: true },
        { path: 'training', name: 'training', component: () => import('./views/Training.vue') },
        { path: 'settings', name: 'settings', component: () => import('./views/Settings.vue') },
      ],
    },
    { path: '/:rest(.*)*', redirect: { name: 'jobs' } },
  ],
});

let checked = false;
router.beforeEach(async (to) => {
  if (!checked && !session.user) {
    checked = true;
    try {
      await loadSession();
    } catch {
      // The server is unreachable: sign-in will say so.
    }
  }
  if (to.meta.public) return session.user && to.name === 'signin' ? { name: 'jobs' } : true;
  if (!session.user) return { name: 'signin', query: to.fullPath !== '/jobs' ? { redirect: to.fullPath } : {} };
  return true;
});

setUnauthorizedHandler(() => {
  const current = router.currentRoute.value;
  if (current.name !== 'signin')
    void router.push({ name: 'signin', query: { redirect: current.fullPath, expired: '1' } });
});
