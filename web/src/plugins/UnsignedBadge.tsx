import type { Plugin } from '../api/types'
import { isUnsigned } from './usePlugins'

/**
 * The loud mark of a plugin that runs without a checked signature: red, in
 * words. "dev" is plugin dev mode (a server's or an agent's directory of an
 * author's builds); otherwise an unsigned archive installed under the
 * development switch. Nothing is shown for a signed plugin.
 */
export function UnsignedBadge({ unsigned, source }: { unsigned?: boolean; source?: string }) {
  if (source === 'dev') {
    return (
      <span className="pill pill-unsigned" title="Loaded from a plugin dev directory without a signature. Development machines only.">
        UNSIGNED – dev mode
      </span>
    )
  }
  if (!unsigned) return null
  return (
    <span className="pill pill-unsigned" title="Installed without a trusted signature (development switch).">
      UNSIGNED
    </span>
  )
}

/**
 * Plugins running without a checked signature are a development setup: the
 * page says so above everything else, plugin dev mode (the server's
 * BREEZE_PLUGIN_DEV_DIR) first.
 */
export function DevModeBanner({ plugins }: { plugins?: Plugin[] }) {
  const dev = (plugins ?? []).filter((p) => p.source === 'dev')
  const unsigned = (plugins ?? []).filter((p) => p.source !== 'dev' && isUnsigned(p))
  if (dev.length === 0 && unsigned.length === 0) return null
  return (
    <div className="devmode-banner" role="alert">
      {dev.length > 0 && (
        <p>
          Plugin dev mode: {dev.length === 1 ? '1 plugin is' : `${dev.length} plugins are`} loaded UNSIGNED from this server's plugin
          dev directory (BREEZE_PLUGIN_DEV_DIR) and reloaded when rebuilt. For a developer's own machine only — never in production.
        </p>
      )}
      {unsigned.length > 0 && (
        <p>
          {unsigned.length === 1 ? '1 plugin was' : `${unsigned.length} plugins were`} installed without a trusted signature
          (BREEZE_PLUGINS_ALLOW_UNSIGNED). Development only.
        </p>
      )}
    </div>
  )
}
