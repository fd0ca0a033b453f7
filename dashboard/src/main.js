import { createApp } from 'vue'
import { createPinia } from 'pinia'
import App from './App.vue'
import { router } from './router.js'
import { setUnauthorizedHandler } from './api/index.js'
import { useAuth } from './stores/auth.js'
import './style.css'

const app = createApp(App)
app.use(createPinia())
app.use(router)

// The token is gone (expired, revoked, logged out elsewhere): to the login
// page, back here afterwards.
setUnauthorizedHandler(() => {
  useAuth().clear()
  const here = router.currentRoute.value
  if (!here.meta.public)
    router.replace({ name: 'login', query: { next: here.fullPath } })
})

app.mount('#app')

// The offline shell (public/sw.js), for the built dashboard only.
if (import.meta.env.PROD && 'serviceWorker' in navigator)
  navigator.serviceWorker.register('/sw.js').catch(() => {})
