import type { Device } from '../api/types'

export function device(i: number, over: Partial<Device> = {}): Device {
  const n = String(i).padStart(5, '0')
  return {
    id: `0190e4c4-0000-7000-8000-0000000${n}`,
    partnerId: 'p1',
    orgId: 'org-1',
    siteId: 'site-1',
    hostname: `host-${n}`,
    os: i % 3 === 0 ? 'windows' : 'linux',
    arch: 'amd64',
    status: i % 4 === 0 ? 'offline' : 'online',
    lastSeenAt: new Date(Date.UTC(2024, 0, 1, 0, 0, i % 60)).toISOString(),
    agentVersion: '0.1.0',
    version: 1,
    createdAt: '2024-01-01T00:00:00Z',
    updatedAt: '2024-01-01T00:00:00Z',
    ...over,
  }
}

/** A paginated GET /devices over list, honouring limit and cursor like the server. */
export function pagedDevices(list: Device[]) {
  return (c: { query: URLSearchParams }) => {
    const limit = Number(c.query.get('limit') ?? 50)
    const start = Number(c.query.get('cursor') || 0)
    const items = list.slice(start, start + limit)
    const next = start + limit < list.length ? String(start + limit) : ''
    return { status: 200, body: { items, nextCursor: next } }
  }
}
