import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// In development, the API is a stoked serve's: STOKE_API, by default the
// one `stoked serve` listens on unless told otherwise.
const api = process.env.STOKE_API || 'http://127.0.0.1:6087'

export default defineConfig({
  plugins: [vue()],
  build: {
    // Hashed names under assets/: stoked serves them as immutable.
    assetsDir: 'assets',
    sourcemap: false,
    chunkSizeWarningLimit: 300,
  },
  server: {
    proxy: { '/api': { target: api, changeOrigin: false } },
  },
  test: {
    environment: 'jsdom',
    include: ['tests/unit/**/*.test.js'],
  },
})
