// A router for a component under test: the app's own routes, so that
// its links resolve as they do in the app, each rendering nothing.
import { createRouter, createMemoryHistory } from 'vue-router'
import { routes } from '../../src/router.js'

export function stubRouter() {
  const none = { template: '<div/>' }
  return createRouter({ history: createMemoryHistory(),
    routes: routes.map((r) => ({ ...r, component: none })) })
}
