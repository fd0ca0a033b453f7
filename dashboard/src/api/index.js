// The one client of the app, bound to the auth store and the router.
import { createClient } from './client.js'
import { useAuth } from '../stores/auth.js'

let onUnauthorized = () => {}

export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn
}

export const api = createClient({
  getToken: () => useAuth().token,
  onUnauthorized: (err) => onUnauthorized(err),
})
