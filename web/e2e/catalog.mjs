// A plugin catalog for the browser test, made as a community would: a
// publisher packs a signed collector (`breeze plugin pack`, its own key,
// which the server does not trust), the catalog's maintainer signs an index
// of it (`breeze plugin catalog build`), and a local server publishes both.
// Plain http on loopback: the server runs with the development setting
// BREEZE_PLUGIN_CATALOG_ALLOW_HTTP and 127.0.0.1 allowed by its egress policy
// (HTTPS with a local CA is what the Go tests use).

import { execFileSync } from 'node:child_process'
import { createReadStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { basename, join } from 'node:path'

export const CATALOG_STEP = 'subscribes to a catalog, trusts its publisher after seeing the fingerprint, installs from Browse'
export const CATALOG_PLUGIN = 'community.e2e-uptime'

/** Packs the plugin, builds and serves the catalog; returns its URL, the catalog key (PEM) and a stop function. */
export async function prepareCatalog(breezeBin, work) {
  const run = (args) => execFileSync(breezeBin, args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString()
  const dir = join(work, 'catalog')
  const src = join(work, 'catalog-src')
  mkdirSync(join(src, 'bin'), { recursive: true })
  mkdirSync(dir, { recursive: true })
  run(['plugin', 'keygen', join(work, 'community-publisher')])
  run(['plugin', 'keygen', join(work, 'community-catalog')])
  writeFileSync(
    join(src, 'plugin.json'),
    JSON.stringify({
      id: CATALOG_PLUGIN,
      name: 'E2E uptime',
      version: '1.0.0',
      kind: 'collector',
      description: 'Reports uptime <b>bold?</b>',
      apiVersions: [1],
      executables: { 'linux-amd64': { path: 'bin/uptime' } },
    }),
  )
  // An agent-side plugin: the server stores and offers it, it never runs it here.
  writeFileSync(join(src, 'bin', 'uptime'), '#!/bin/sh\necho uptime\n', { mode: 0o755 })
  run(['plugin', 'pack', src, '--key', join(work, 'community-publisher.key'), '-o', join(dir, `${CATALOG_PLUGIN}-1.0.0.tar.gz`)])
  const server = createServer((req, res) => {
    const file = join(dir, basename(new URL(req.url, 'http://x').pathname))
    if (!existsSync(file)) return res.writeHead(404).end()
    res.writeHead(200)
    createReadStream(file).pipe(res)
  })
  await new Promise((r) => server.listen(0, '127.0.0.1', r))
  const base = `http://127.0.0.1:${server.address().port}`
  run([
    'plugin', 'catalog', 'build', dir, '--key', join(work, 'community-catalog.key'), '--base-url', base, '--allow-http',
    '--name', 'E2E community', '--publisher', join(work, 'community-publisher.pub'),
  ])
  const publisherKeyId = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')).plugins[0].publisherKeyId
  return {
    url: `${base}/index.json`,
    catalogKey: readFileSync(join(work, 'community-catalog.pub'), 'utf8'),
    publisherKeyId,
    stop: () => new Promise((r) => server.close(r)),
  }
}

/** The browser part: add the catalog, trust the publisher (its fingerprint shown), install, see it installed. */
export async function catalogStep({ page, cat, assert, art }) {
  await page.getByRole('link', { name: 'Plugins', exact: true }).click()
  await page.getByRole('heading', { name: 'Plugins', exact: true }).waitFor()
  await page.getByRole('tab', { name: 'Browse' }).click()
  await page.getByRole('button', { name: 'Add catalog…' }).click()
  const add = page.getByRole('dialog', { name: 'Add a plugin catalog' })
  await add.getByLabel('Name').fill('E2E community')
  await add.getByLabel('Index URL').fill(cat.url)
  await add.getByLabel('Catalog public key').fill(cat.catalogKey)
  await add.getByRole('button', { name: 'Add catalog' }).click()
  await page.getByText('Added E2E community: 1 plugin.').waitFor()
  const row = page.getByRole('row').filter({ hasText: CATALOG_PLUGIN })
  await row.getByText('Not trusted').waitFor()
  await row.getByText('Reports uptime <b>bold?</b>').waitFor() // text, not markup
  await page.screenshot({ path: `${art}/plugins-browse.png` })
  await row.getByRole('button', { name: 'Trust publisher…' }).click()
  const trust = page.getByRole('dialog', { name: 'Trust this publisher?' })
  const fp = (await trust.getByLabel('Fingerprint').textContent()) ?? ''
  assert(fp.replaceAll(':', '').startsWith(cat.publisherKeyId) && fp.length === 79, `fingerprint shown: ${fp}`)
  await page.screenshot({ path: `${art}/plugins-trust.png` })
  await trust.getByRole('button', { name: 'Trust publisher' }).click()
  await row.getByText('Trusted', { exact: true }).waitFor()
  await row.getByRole('button', { name: 'Install' }).click()
  await page.getByText(/Installed E2E uptime 1\.0\.0\./).waitFor()
  await row.getByText('Up to date').waitFor()
  await page.getByRole('tab', { name: 'Installed' }).click()
  await page.getByRole('link', { name: 'E2E uptime' }).waitFor()
}
