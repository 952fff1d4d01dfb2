// Checks a Vite build against the server's Content-Security-Policy
// (default-src 'self'; script-src 'self'; style-src 'self') and the size
// budget, then prints what the first visit downloads.
//
// Fails when index.html holds an inline script or style, a style or on*
// attribute, or a script from elsewhere; when any bundle creates <style>
// elements or sets style attributes (both refused by style-src 'self');
// or when the initial JavaScript exceeds the budget gzipped.

import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { gzipSync } from 'node:zlib'

const dist = new URL('../dist/', import.meta.url).pathname
const BUDGET = 300 * 1000 // bytes of initial JavaScript, gzipped

const problems = []
const html = readFileSync(join(dist, 'index.html'), 'utf8')

for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
  const [, attrs, body] = m
  if (!/\bsrc=/.test(attrs)) problems.push('index.html has an inline <script>')
  else if (body.trim()) problems.push('index.html has a <script src> with inline content')
  const src = attrs.match(/\bsrc="([^"]+)"/)?.[1] ?? ''
  if (src && !src.startsWith('/')) problems.push(`index.html loads a script from elsewhere: ${src}`)
}
if (/<style\b/i.test(html)) problems.push('index.html has an inline <style>')
if (/\sstyle\s*=/i.test(html)) problems.push('index.html has a style attribute')
if (/\son[a-z]+\s*=/i.test(html)) problems.push('index.html has an inline event handler')
if (/javascript:/i.test(html)) problems.push('index.html has a javascript: URL')

const files = []
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) walk(p)
    else files.push(p)
  }
}
walk(dist)

const gz = (p) => gzipSync(readFileSync(p), { level: 9 }).length
const kb = (n) => `${(n / 1000).toFixed(1)} kB`

for (const f of files.filter((f) => f.endsWith('.js'))) {
  const src = readFileSync(f, 'utf8')
  // React DOM carries one createElement('style') for <style precedence>
  // hoisting, reached only when a component renders <style>; the source test
  // (src/security.test.ts) forbids that, so only other occurrences count.
  for (const m of src.matchAll(/createElement\(\s*["'`]style["'`]\s*\)/g)) {
    const around = src.slice(Math.max(0, m.index - 300), m.index + 300)
    if (!around.includes('data-precedence'))
      problems.push(`${relative(dist, f)} creates <style> elements (refused by style-src 'self')`)
  }
  if (/setAttribute\(\s*["'`]style["'`]/.test(src))
    problems.push(`${relative(dist, f)} sets style attributes (refused by style-src 'self')`)
}
for (const f of files) {
  if (/\.(woff2?|ttf|otf)$/.test(f)) continue
  if (f.endsWith('.css') && /url\(\s*["']?data:/.test(readFileSync(f, 'utf8')) && /font/.test(readFileSync(f, 'utf8')))
    problems.push(`${relative(dist, f)} inlines data: fonts (refused by default-src 'self')`)
}

// The first visit: the entry script, what it preloads, and the stylesheets.
const initialJs = [
  ...html.matchAll(/<script\b[^>]*\bsrc="([^"]+)"/gi),
  ...html.matchAll(/<link\b[^>]*rel="modulepreload"[^>]*href="([^"]+)"/gi),
].map((m) => join(dist, m[1]))
const initialCss = [...html.matchAll(/<link\b[^>]*rel="stylesheet"[^>]*href="([^"]+)"/gi)].map((m) => join(dist, m[1]))
const sum = (list) => list.reduce((n, f) => n + gz(f), 0)
const jsGz = sum(initialJs)
const cssGz = sum(initialCss)
const allJs = files.filter((f) => f.endsWith('.js'))

console.log('\nBreeze dashboard build')
console.log(`  initial JavaScript: ${kb(jsGz)} gzipped in ${initialJs.length} file(s) (budget ${kb(BUDGET)})`)
for (const f of initialJs) console.log(`    ${relative(dist, f)}  ${kb(statSync(f).size)} raw, ${kb(gz(f))} gzipped`)
console.log(`  initial CSS: ${kb(cssGz)} gzipped`)
console.log(`  all JavaScript: ${allJs.length} files, ${kb(sum(allJs))} gzipped; lazy chunks load per screen`)
if (jsGz > BUDGET) problems.push(`initial JavaScript is ${kb(jsGz)} gzipped, over the ${kb(BUDGET)} budget`)

if (problems.length) {
  console.error('\ncheck-dist FAILED:')
  for (const p of problems) console.error(`  - ${p}`)
  process.exit(1)
}
console.log('  CSP check: no inline script, style or handler; no runtime <style> or style attributes\n')
