// Who is signed in: the access token, kept in memory and in this tab's
// sessionStorage (a reload keeps it, another tab or a closed browser does
// not), and the user it belongs to.
import { defineStore } from 'pinia'

const KEY = 'stoke.token'

function stored() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) || 'null')
  } catch {
    return null
  }
}

export const useAuth = defineStore('auth', {
  state: () => {
    const s = stored()
    const live = s && s.token && (!s.expires_at ||
      Date.parse(s.expires_at) > Date.now())
    return {
      token: live ? s.token : null,
      expiresAt: live ? s.expires_at : null,
      user: null,
    }
  },
  getters: {
    signedIn: (s) => !!s.token,
  },
  actions: {
    set(token, expiresAt) {
      this.token = token
      this.expiresAt = expiresAt
      try {
        sessionStorage.setItem(KEY, JSON.stringify({ token,
          expires_at: expiresAt }))
      } catch {
        // private mode: memory only
      }
    },
    clear() {
      this.token = null
      this.expiresAt = null
      this.user = null
      try {
        sessionStorage.removeItem(KEY)
      } catch {
        // nothing kept
      }
    },
  },
})
