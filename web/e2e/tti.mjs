// Time to interactive of the device list with 10 000 devices, in headless
// Chromium against a real Breeze (bin/breeze serve --demo, temp data dir).
//
// Seeding goes through the real enrollment route (POST /api/v1/agents/enroll,
// one key of maxUses N, hostnames sim-00001..), ~50 at a time. The server
// limits enrollments per client address (20 per 10 min), so each request
// leaves from its own loopback address (127.0.X.Y), as cmd/breeze-sim does.
//
// Each run opens /devices in a new tab with the HTTP cache disabled (a
// first visit; the session comes from the refresh cookie, as after a reload):
//   rows      navigation start → the grid's first device row is in the DOM
//   tti       rows, then a hostname typed into the search box → the grid shows
//             only that device (includes the 300 ms search debounce and the
//             server-side search round trip)
//   echo      keydown → the typed character painted in the box (input latency)
//   filter    first keydown → the filtered list
//   tbt       total blocking time (long tasks beyond 50 ms) up to tti
//   js        gzipped bytes of script responses finished before tti
// then a second tab (warm cache) with no search:
//   all       navigation start → "N devices" (every page of 500 streamed in)
//   bottom    scroll the virtualised body to its end → the last hostname shows
//
//   npm run tti      needs bin/breeze (make build), web/dist (npm run build), /usr/bin/chromium
// Environment: TTI_DEVICES (10000), TTI_RUNS (3), TTI_CONCURRENCY (50), BREEZE_BIN, CHROMIUM.

import { existsSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { dashboardOrigin, startBreeze } from './server.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const web = resolve(here, '..')
const root = resolve(web, '..')
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium'
const BREEZE = process.env.BREEZE_BIN ?? join(root, 'bin/breeze')
const DIST = join(web, 'dist')
const N = Number(process.env.TTI_DEVICES ?? 10_000)
const RUNS = Math.max(1, Number(process.env.TTI_RUNS ?? 3))
const CONC = Math.max(1, Number(process.env.TTI_CONCURRENCY ?? 50))

function need(ok, msg) {
  if (!ok) {
    console.error(`tti: ${msg}`)
    process.exit(1)
  }
}
need(existsSync(CHROMIUM), `no browser at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM)`)
need(existsSync(BREEZE), `no server binary at ${BREEZE}: run make build (or set BREEZE_BIN)`)
need(existsSync(join(DIST, 'index.html')), 'web/dist is not built: run npm run build')
need(N >= 1 && N <= 255 * 254, `TTI_DEVICES must be 1..${255 * 254}`)

async function api(base, path, { method = 'GET', token, body } = {}) {
  const res = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await res.text()
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`)
  return text ? JSON.parse(text) : undefined
}

/** Device i's loopback source address: 127.0.1.1, 127.0.1.2, … (one per device, like breeze-sim). */
function srcIP(i) {
  return `127.0.${1 + Math.floor(i / 254)}.${1 + (i % 254)}`
}

/** POST with node:http so the request can leave from localAddress; no keep-alive. */
function postFrom(url, localAddress, body) {
  const u = new URL(url)
  const data = JSON.stringify(body)
  return new Promise((ok, fail) => {
    const req = httpRequest(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: 'POST',
        localAddress,
        agent: false,
        headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) },
      },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (c) => (text += c))
        res.on('end', () => ok({ status: res.statusCode, text }))
      },
    )
    req.on('error', fail)
    req.end(data)
  })
}

async function enrollAll(base, key) {
  let next = 0
  let done = 0
  let retries = 0
  const t = Date.now()
  const worker = async () => {
    for (;;) {
      const i = next++
      if (i >= N) return
      const body = { enrollmentKey: key, hostname: `sim-${String(i + 1).padStart(5, '0')}`, os: i % 3 ? 'linux' : 'windows', arch: 'amd64', agentVersion: 'tti' }
      for (let attempt = 0; ; attempt++) {
        let r
        try {
          r = await postFrom(`${base}/api/v1/agents/enroll`, srcIP(i), body)
        } catch (e) {
          r = { status: 0, text: String(e) }
        }
        if (r.status === 201) break
        if (attempt >= 5 || (r.status > 0 && r.status < 500 && r.status !== 429)) throw new Error(`enroll ${body.hostname}: ${r.status} ${r.text}`)
        retries++
        await new Promise((s) => setTimeout(s, 200 * 2 ** attempt))
      }
      if (++done % 1000 === 0) process.stdout.write(`  ${done}/${N} enrolled (${((Date.now() - t) / 1000).toFixed(1)} s)\n`)
    }
  }
  await Promise.all(Array.from({ length: CONC }, worker))
  return { ms: Date.now() - t, retries }
}

// Installed in every measured page before any of its scripts: marks the
// first grid row, the long tasks, and the keydown → paint of the search box.
function probe() {
  const m = (window.__tti = { rows: 0, longTasks: [], keyAt: 0, echoAt: 0 })
  new PerformanceObserver((l) => {
    for (const e of l.getEntries()) m.longTasks.push([e.startTime, e.duration])
  }).observe({ type: 'longtask', buffered: true })
  const mo = new MutationObserver(() => {
    if (!m.rows && document.querySelector('[role=grid] .grid-body [role=row]')) {
      m.rows = performance.now()
      mo.disconnect()
    }
  })
  mo.observe(document, { childList: true, subtree: true })
  document.addEventListener(
    'keydown',
    (e) => {
      if (m.keyAt || !(e.target instanceof HTMLInputElement) || e.target.type !== 'search') return
      m.keyAt = e.timeStamp
      const input = e.target
      const before = input.value
      const frame = () => {
        if (input.value !== before) m.echoAt = performance.now()
        else requestAnimationFrame(frame)
      }
      requestAnimationFrame(frame)
    },
    true,
  )
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const ms = (x) => `${Math.round(x)} ms`
const kb = (x) => `${(x / 1024).toFixed(1)} kB`

const breeze = await startBreeze(BREEZE)
let front
let browser
let failed = false
try {
  front = await dashboardOrigin(breeze.url, DIST)
  console.log(`tti: Breeze at ${breeze.url}; dashboard at ${front.origin}${front.direct ? ' (embedded build)' : ' (front server over web/dist)'}`)
  const login = await api(breeze.url, '/auth/login', { method: 'POST', body: breeze.creds })
  const token = login.accessToken
  const site = (await api(breeze.url, '/sites', { token })).items[0]
  const key = await api(breeze.url, '/enrollment-keys', {
    method: 'POST',
    token,
    body: { siteId: site.id, name: 'tti seed', maxUses: N, expiresAt: new Date(Date.now() + 86400_000).toISOString() },
  })
  console.log(`tti: enrolling ${N} devices, ${CONC} at a time…`)
  const seeded = await enrollAll(breeze.url, key.key)
  const listedTotal = await (async () => {
    let n = 0
    let cursor = ''
    do {
      const p = await api(breeze.url, `/devices?limit=500&cursor=${encodeURIComponent(cursor)}`, { token })
      n += p.items.length
      cursor = p.nextCursor
    } while (cursor)
    return n
  })()
  console.log(`tti: ${N} enrolled in ${(seeded.ms / 1000).toFixed(1)} s (${Math.round((N / seeded.ms) * 1000)}/s, ${seeded.retries} retries); the API lists ${listedTotal}`)
  if (listedTotal < N) throw new Error(`the API lists ${listedTotal} devices, want at least ${N}`)
  const last = `sim-${String(N).padStart(5, '0')}`

  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] })
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } })
  await context.addInitScript(probe)
  {
    const page = await context.newPage()
    await page.goto(front.origin + '/login')
    await page.getByLabel('Email').fill(breeze.creds.email)
    await page.getByLabel('Password').fill(breeze.creds.password)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('heading', { name: 'Devices' }).waitFor()
    await page.close() // the refresh cookie stays in the context
  }

  const longTasks = await (async () => {
    const pg = await context.newPage()
    const ok = await pg.evaluate(() => PerformanceObserver.supportedEntryTypes.includes('longtask'))
    await pg.close()
    return ok
  })()
  const runs = []
  for (let r = 0; r < RUNS; r++) {
    // Cold: a new tab, no HTTP cache.
    const page = await context.newPage()
    const cdp = await context.newCDPSession(page)
    await cdp.send('Network.enable')
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true })
    const scripts = new Set()
    const sizes = new Map()
    cdp.on('Network.responseReceived', (e) => e.type === 'Script' && scripts.add(e.requestId))
    cdp.on('Network.loadingFinished', (e) => sizes.set(e.requestId, e.encodedDataLength))
    const jsBytes = () => [...scripts].reduce((n, id) => n + (sizes.get(id) ?? 0), 0)

    await page.goto(front.origin + '/devices', { waitUntil: 'commit' })
    const grid = page.getByRole('grid', { name: 'Devices' })
    await grid.locator('.grid-body [role=row]').first().waitFor({ timeout: 60_000 })
    const search = page.getByRole('searchbox', { name: 'Search hostnames' })
    await search.click()
    await page.keyboard.type(last)
    await page.waitForFunction(
      (host) => {
        const rows = [...document.querySelectorAll('[role=grid] .grid-body [role=row]')]
        return rows.length === 1 && rows[0].textContent.includes(host) ? performance.now() : false
      },
      last,
      { polling: 'raf', timeout: 60_000 },
    )
    const tti = await page.evaluate(() => performance.now())
    const js = jsBytes()
    const m = await page.evaluate(() => window.__tti)
    const tbt = m.longTasks.filter(([s]) => s < tti).reduce((n, [, d]) => n + Math.max(0, d - 50), 0)
    const jsFiles = [...scripts].filter((id) => sizes.has(id)).length
    await cdp.detach()
    await page.close()

    // Warm: the whole list, then the end of it.
    const page2 = await context.newPage()
    await page2.goto(front.origin + '/devices', { waitUntil: 'commit' })
    // The count reads "N devices" only once every page is in ("N loaded…" before).
    await page2.locator('.page-header .count').getByText(/^[\d,.\s\u00a0\u202f]+ devices$/).waitFor({ timeout: 120_000 })
    const count = await page2.locator('.page-header .count').textContent()
    const all = await page2.evaluate(() => performance.now())
    const bottom = await page2.evaluate(
      (host) =>
        new Promise((ok) => {
          const body = document.querySelector('[role=grid] .grid-body')
          const t0 = performance.now()
          body.scrollTop = body.scrollHeight
          const check = () => {
            const rows = [...body.querySelectorAll('[role=row]')]
            if (rows.some((r) => r.textContent.includes(host))) ok({ ms: performance.now() - t0, domRows: rows.length })
            else requestAnimationFrame(check)
          }
          requestAnimationFrame(check)
        }),
      last,
    )
    await page2.close()

    const run = {
      rows: m.rows, tti, echo: m.echoAt && m.keyAt ? m.echoAt - m.keyAt : NaN, filter: m.keyAt ? tti - m.keyAt : NaN,
      tbt, js, jsFiles, all, count, bottom: bottom.ms, domRows: bottom.domRows,
    }
    runs.push(run)
    console.log(
      `  run ${r + 1}: rows ${ms(run.rows)}, tti ${ms(run.tti)} (echo ${ms(run.echo)}, filter ${ms(run.filter)}, tbt ${ms(run.tbt)}), js ${kb(run.js)} in ${run.jsFiles} files; ` +
        `all "${count.trim()}" ${ms(run.all)}, scroll to bottom ${ms(run.bottom)} (${run.domRows} rows in the DOM)`,
    )
  }
  const med = (k) => median(runs.map((x) => x[k]))
  console.log(`\ntti: device list, ${listedTotal} devices, median of ${RUNS} run${RUNS === 1 ? '' : 's'} (headless Chromium, ${front.direct ? 'embedded build' : 'web/dist'})`)
  console.log(`  first rows rendered        ${ms(med('rows'))}`)
  console.log(`  time to interactive        ${ms(med('tti'))}   (rows + search typed → filtered list; 300 ms debounce included)`)
  console.log(`  keydown → character shown  ${ms(med('echo'))}`)
  console.log(`  first key → list filtered  ${ms(med('filter'))}   (typing ${last.length} keys + debounce + search request)`)
  console.log(`  total blocking time        ${longTasks ? ms(med('tbt')) : 'n/a (no longtask entries in this browser)'}`)
  console.log(`  initial JS transferred     ${kb(med('js'))} (gzip, cache disabled)`)
  console.log(`  all devices listed         ${ms(med('all'))}   (warm cache)`)
  console.log(`  scroll to the bottom       ${ms(med('bottom'))}   (${runs[0].domRows} rows in the DOM)`)
} catch (e) {
  failed = true
  console.error(`tti: ${e?.stack ?? e}`)
} finally {
  await browser?.close().catch(() => {})
  await front?.stop().catch(() => {})
  await breeze.stop()
}
process.exit(failed ? 1 : 0)
