import { useState } from 'react'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { api, errorMessage } from '../api/client'
import { fetchAll } from '../api/lists'
import type { Partner } from '../api/types'
import { useMe } from '../auth/session'
import { can, P } from '../auth/permissions'
import { QueryView } from '../ui/States'

const KEY = ['partners', 'security']

type Rule = 'requireTotp' | 'requireMtls'

/**
 * The partner-wide security switches: a second factor for every user, and
 * client certificates (mutual TLS) on every agent link of the partner's
 * devices (docs/security.md). The server-wide BREEZE_AGENT_MTLS=required
 * overrides the second one.
 */
export default function PartnerSecurityPage() {
  const me = useMe()
  const writable = can(me, P.partnersWrite)
  const partners = useQuery({ queryKey: KEY, queryFn: ({ signal }) => fetchAll<Partner>('/partners', {}, 1000, signal) })
  const qc = useQueryClient()
  const [busy, setBusy] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)

  async function toggle(p: Partner, rule: Rule, value: boolean) {
    setBusy(p.id + rule)
    setError(null)
    try {
      await api.patch<Partner>(`/partners/${p.id}`, { [rule]: value, version: p.version })
      await qc.invalidateQueries({ queryKey: ['partners'] })
    } catch (e) {
      setError(errorMessage(e))
    } finally {
      setBusy(null)
    }
  }

  return (
    <section className="page" aria-labelledby="ps-title">
      <header className="page-header">
        <h1 id="ps-title">Partner security</h1>
      </header>
      <p className="muted">
        Agent client certificates: links of the partner’s devices are refused without a valid certificate of the device,
        besides its token. Turn it on once every device page shows a valid certificate.
      </p>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <QueryView query={partners} isEmpty={(l) => l.length === 0} empty={<p className="state state-empty">No partners.</p>}>
        {(list) => (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Partner</th>
                <th scope="col">Second factor required</th>
                <th scope="col">Agent client certificates required</th>
              </tr>
            </thead>
            <tbody>
              {list.map((p) => (
                <tr key={p.id}>
                  <td>{p.name}</td>
                  {(['requireTotp', 'requireMtls'] as Rule[]).map((rule) => (
                    <td key={rule}>
                      <input
                        type="checkbox"
                        aria-label={`${rule === 'requireTotp' ? 'Second factor required' : 'Agent client certificates required'} for ${p.name}`}
                        checked={!!p[rule]}
                        disabled={!writable || busy !== null}
                        onChange={(e) => void toggle(p, rule, e.target.checked)}
                      />
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </QueryView>
    </section>
  )
}
