/// <reference types="vitest/config" />
import { fileURLToPath } from 'node:url'
import { defineConfig, type Plugin } from 'vite'
import react from '@vitejs/plugin-react'

// xterm.js creates <style> elements and sets style attributes at run time,
// both refused by style-src 'self'. This rewrites those few calls in its
// (exactly pinned) bundle into src/remote/cspStyle.ts, which goes through
// the CSSOM instead; the build fails if xterm's code no longer matches.
const CSP_STYLE = fileURLToPath(new URL('./src/remote/cspStyle.ts', import.meta.url))
function xtermCspPlugin(): Plugin {
  return {
    name: 'breeze-xterm-csp',
    enforce: 'pre',
    transform(code, id) {
      if (!/[\\/]@xterm[\\/]xterm[\\/]lib[\\/]xterm\.mjs$/.test(id.split('?')[0]!)) return null
      let styles = 0
      let attrs = 0
      const out = code
        .replace(/([\w$.]+)\.createElement\("style"\)/g, (_m, doc: string) => {
          styles++
          return `__breezeCspStyle(${doc})`
        })
        .replace(/([\w$]+)\.setAttribute\("style",`\$\{\1\.getAttribute\("style"\)\|\|""\}\$\{([\w$]+)\};`\)/g, (_m, el: string, decl: string) => {
          attrs++
          return `__breezeCspAddStyle(${el},${decl})`
        })
      if (styles !== 3 || attrs !== 1)
        this.error(`xterm changed: expected 3 createElement("style") and 1 style attribute, found ${styles} and ${attrs}; update xtermCspPlugin`)
      return {
        code: `import { cspStyleElement as __breezeCspStyle, cspAddStyle as __breezeCspAddStyle } from ${JSON.stringify(CSP_STYLE)};\n${out}`,
        map: null,
      }
    },
  }
}

// The dashboard is served by the Go server under a strict CSP
// (default-src 'self'; script-src 'self'; style-src 'self'), so the build
// must not inline anything: no inlined assets (data: fonts would be
// refused), no inline module-preload polyfill, CSS as files.
// scripts/check-dist.mjs verifies the output after every build.
export default defineConfig({
  plugins: [react(), xtermCspPlugin()],
  // dev: serve xterm through the plugin too, not pre-bundled
  optimizeDeps: { exclude: ['@xterm/xterm'] },
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
