/// <reference types="vitest/config" />
import { defineConfig } from 'vite'
import react from '@vitejs/plugin-react'

// The dashboard is served by the Go server under a strict CSP
// (default-src 'self'; script-src 'self'; style-src 'self'), so the build
// must not inline anything: no inlined assets (data: fonts would be
// refused), no inline module-preload polyfill, CSS as files.
// scripts/check-dist.mjs verifies the output after every build.
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    cssCodeSplit: true,
    sourcemap: false,
    target: 'es2022',
    reportCompressedSize: true,
  },
  server: {
    // npm run dev: the API comes from a running server (make run).
    proxy: {
      '/api': { target: process.env.BREEZE_URL ?? 'http://127.0.0.1:8080', ws: true, changeOrigin: false },
    },
  },
  test: {
    environment: 'jsdom',
    setupFiles: ['src/test/setup.ts'],
    include: ['src/**/*.test.{ts,tsx}'],
    reporters: ['default', './scripts/summary-reporter.mjs'],
    css: false,
    restoreMocks: true,
    // A 2-core machine shared with Go builds: generous limits, no flakiness.
    testTimeout: 30_000,
  },
})
