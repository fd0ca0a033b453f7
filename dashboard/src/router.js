import { createRouter, createWebHistory } from 'vue-router'
import { useAuth } from './stores/auth.js'
import LoginView from './views/LoginView.vue'
import OverviewView from './views/OverviewView.vue'

// The first page is in the first load; every other comes when asked, the
// analytics' charts with theirs.
export const routes = [
  { path: '/login', name: 'login', component: LoginView,
    meta: { public: true, title: 'Log in' } },
  { path: '/signup', name: 'signup', component: () => import('./views/SignupView.vue'),
    meta: { public: true, title: 'Sign up' } },
  { path: '/', name: 'overview', component: OverviewView,
    meta: { title: 'Overview' } },
  { path: '/projects', name: 'projects',
    component: () => import('./views/ProjectsView.vue'),
    meta: { title: 'Projects' } },
  { path: '/projects/:pid', name: 'project', props: true,
    component: () => import('./views/ProjectView.vue'),
    meta: { title: 'Websites' } },
  { path: '/projects/:pid/members', name: 'members', props: true,
    component: () => import('./views/MembersView.vue'),
    meta: { title: 'Members' } },
  { path: '/projects/:pid/keys', name: 'keys', props: true,
    component: () => import('./views/KeysView.vue'),
    meta: { title: 'API keys' } },
  { path: '/projects/:pid/usage', name: 'usage', props: true,
    component: () => import('./views/UsageView.vue'),
    meta: { title: 'Usage' } },
  { path: '/projects/:pid/notifications', name: 'notifications', props: true,
    component: () => import('./views/NotificationsView.vue'),
    meta: { title: 'Notifications' } },
  { path: '/projects/:pid/websites/new', name: 'website-new', props: true,
    component: () => import('./views/WebsiteFormView.vue'),
    meta: { title: 'New website' } },
  { path: '/websites/:wid', name: 'website', props: true,
    component: () => import('./views/WebsiteView.vue'),
    meta: { title: 'Website' } },
  { path: '/websites/:wid/edit', name: 'website-edit', props: true,
    component: () => import('./views/WebsiteFormView.vue'),
    meta: { title: 'Website settings' } },
  { path: '/websites/:wid/analytics', name: 'analytics', props: true,
    component: () => import('./views/AnalyticsView.vue'),
    meta: { title: 'Analytics' } },
  { path: '/websites/:wid/agents', name: 'agents', props: true,
    component: () => import('./views/AgentsView.vue'),
    meta: { title: 'Agents' } },
  { path: '/websites/:wid/purge', name: 'purge', props: true,
    component: () => import('./views/PurgeView.vue'),
    meta: { title: 'Purge' } },
  { path: '/jobs/:jid', name: 'job', props: true,
    component: () => import('./views/JobView.vue'),
    meta: { title: 'Job' } },
  { path: '/:rest(.*)*', name: 'not-found',
    component: () => import('./views/NotFoundView.vue'),
    meta: { public: true, title: 'Not found' } },
]

export const router = createRouter({
  history: createWebHistory(),
  routes,
})

router.beforeEach((to) => {
  const auth = useAuth()
  if (!to.meta.public && !auth.signedIn)
    return { name: 'login', query: to.fullPath !== '/' ? { next: to.fullPath } : {} }
  if ((to.name === 'login' || to.name === 'signup') && auth.signedIn)
    return { name: 'overview' }
})

router.afterEach((to) => {
  document.title = (to.meta.title ? to.meta.title + ' · ' : '') + 'Stoke'
})
