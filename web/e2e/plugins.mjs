// Builds first-party plugins for this platform and packs them signed with a
// fresh key, as a vendor would (`breeze plugin keygen`, `breeze plugin
// pack`), so the browser test installs them through the real upload path.

import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const PLATFORMS = { 'linux-x64': 'linux-amd64', 'linux-arm64': 'linux-arm64', 'darwin-arm64': 'darwin-arm64' }

/** Packs plugins/<name> for each name; returns the public key's path and each archive's path. */
export function packFirstParty(breezeBin, repoRoot, work, names) {
  const platform = PLATFORMS[`${process.platform}-${process.arch}`]
  if (!platform) throw new Error(`no plugin build for ${process.platform}-${process.arch}`)
  const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
  run(breezeBin, ['plugin', 'keygen', join(work, 'e2e-vendor')])
  const archives = {}
  for (const name of names) {
    const stage = join(work, name)
    const exe = `bin/${platform}/${name}`
    mkdirSync(join(stage, 'bin', platform), { recursive: true })
    const manifest = JSON.parse(readFileSync(join(repoRoot, 'plugins', name, 'plugin.json'), 'utf8'))
    manifest.executables = { [platform]: { path: exe, sha256: '' } }
    writeFileSync(join(stage, 'plugin.json'), JSON.stringify(manifest, null, 2))
    run('go', ['build', '-o', join(stage, exe), `./plugins/${name}`], repoRoot)
    archives[name] = join(work, `${name}.tar.gz`)
    run(breezeBin, ['plugin', 'pack', stage, '--key', join(work, 'e2e-vendor.key'), '-o', archives[name]])
  }
  return { publicKey: join(work, 'e2e-vendor.pub'), archives }
}
