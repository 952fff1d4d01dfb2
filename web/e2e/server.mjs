// Starts `breeze serve --demo` on a free port with a temporary data dir and
// reads the demo credentials it prints. When the binary does not serve the
// dashboard yet (web.Handler not wired), a small front server serves
// web/dist with the very Content-Security-Policy the API sends and proxies
// /api to Breeze, so the browser still runs under the real policy.

import { spawn } from 'node:child_process'
import { createServer, request as httpRequest } from 'node:http'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { extname, join, normalize } from 'node:path'
import net from 'node:net'
import { gzipSync } from 'node:zlib'

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
}

async function waitFor(fn, what, ms = 30_000) {
  const end = Date.now() + ms
  for (;;) {
    try {
      const v = await fn()
      if (v) return v
    } catch {
      // not yet
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

/** Starts the server; opts.args and opts.env add flags and environment. */
export async function startBreeze(bin, opts = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'breeze-e2e-'))
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  let out = ''
  const args = ['serve', '--demo', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir, '--log-level', 'warn', ...(opts.args ?? [])]
  const proc = spawn(bin, args, {
    env: { ...process.env, BREEZE_DATA_DIR: dataDir, ...(opts.env ?? {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  proc.stdout.on('data', (b) => (out += b))
  proc.stderr.on('data', (b) => (out += b))
  const exited = new Promise((r) => proc.once('exit', r))
  const creds = await waitFor(() => {
    if (proc.exitCode !== null) throw Object.assign(new Error(`breeze exited:\n${out}`), { fatal: true })
    const m = out.match(/sign in as (\S+) with password (\S+)/)
    return m && { email: m[1], password: m[2] }
  }, 'the demo credentials').catch((e) => {
    proc.kill('SIGKILL')
    throw new Error(`${e.message}\n--- breeze output ---\n${out}`)
  })
  await waitFor(async () => (await fetch(`${url}/readyz`)).ok, '/readyz')
  return {
    url,
    creds,
    dataDir,
    log: () => out,
    async stop() {
      proc.kill('SIGTERM')
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))])
      if (proc.exitCode === null) proc.kill('SIGKILL')
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
}

/** The origin the browser uses: Breeze itself when it serves the dashboard, else a front server. */
export async function dashboardOrigin(breezeUrl, distDir) {
  const res = await fetch(`${breezeUrl}/`)
  const body = await res.text()
  if (res.ok && body.includes('id="root"')) return { origin: breezeUrl, direct: true, stop: async () => {} }

  const csp = (await fetch(`${breezeUrl}/healthz`)).headers.get('content-security-policy')
  if (!csp) throw new Error('Breeze sent no Content-Security-Policy on /healthz')
  const target = new URL(breezeUrl)
  const server = createServer((req, res) => {
    if (req.url.startsWith('/api/')) {
      const up = httpRequest(
        { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: { ...req.headers, host: target.host } },
        (r) => {
          res.writeHead(r.statusCode, r.headers)
          r.pipe(res)
        },
      )
      up.on('error', () => res.writeHead(502).end())
      req.pipe(up)
      return
    }
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '')
    let file = join(distDir, path)
    if (!file.startsWith(distDir) || !existsSync(file) || statSync(file).isDirectory()) {
      if (path.startsWith('/assets/')) return res.writeHead(404).end()
      file = join(distDir, 'index.html')
    }
    // gzip like web.Handler does, so transfer sizes match production
    const type = TYPES[extname(file)] ?? 'application/octet-stream'
    const gz = /gzip/.test(req.headers['accept-encoding'] ?? '') && /text|json|svg/.test(type)
    const body = gz ? gzipSync(readFileSync(file), { level: 9 }) : readFileSync(file)
    res.writeHead(200, {
      'Content-Type': type,
      'Content-Security-Policy': csp,
      'X-Content-Type-Options': 'nosniff',
      ...(gz ? { 'Content-Encoding': 'gzip', Vary: 'Accept-Encoding' } : {}),
    })
    res.end(body)
  })
  const port = await freePort()
  await new Promise((r) => server.listen(port, '127.0.0.1', r))
  return {
    origin: `http://127.0.0.1:${port}`,
    direct: false,
    csp,
    stop: () => new Promise((r) => server.close(r)),
  }
}
