// Test data for the discovery pages (shapes of adapters/http/api/discovery*_dto.go).

import { ALL_PERMISSIONS, json } from '../test/api'
import type { Asset, Profile, Scan } from './types'

export const XSS = '<img src=x onerror=alert(1)>'
export const MANAGER = [...ALL_PERMISSIONS, 'discovery:read', 'discovery:manage']
/** A read-only role: sees discovery, acts on nothing. */
export const VIEWER = ['partners:read', 'orgs:read', 'sites:read', 'device-groups:read', 'devices:read', 'discovery:read']

export const page = (items: unknown[], nextCursor = '') => json({ items, nextCursor })

export const profile = (over: Partial<Profile> = {}): Profile => ({
  id: 'pr1', partnerId: 'p1', orgId: 'org-1', siteId: 'site-1', name: 'Office LAN', targets: ['10.0.0.0/24'], exclusions: ['10.0.0.1'],
  methods: ['icmp', 'arp', 'rdns', 'tcp'], ports: [22, 80, 443], ratePerSecond: 200, concurrency: 64, timeoutSeconds: 1800,
  scannerDeviceIds: ['0190e4c4-0000-7000-8000-000000000001'], split: false, snmp: null, addresses: 255, createdAt: '2026-12-01T00:00:00Z',
  updatedAt: '2026-12-01T00:00:00Z', version: 3, ...over,
})

export const scan = (over: Partial<Scan> = {}): Scan => ({
  id: 'sc1', profileId: 'pr1', orgId: 'org-1', siteId: 'site-1', status: 'running', phase: 'sweep', partial: false, addresses: 256,
  scanned: 64, assetsFound: 3, createdAt: '2026-12-06T10:00:00Z', startedAt: '2026-12-06T10:00:01Z', deadline: '2026-12-06T10:30:00Z',
  commands: [], ...over,
})

export const asset = (over: Partial<Asset> = {}): Asset => ({
  id: 'as1', partnerId: 'p1', orgId: 'org-1', siteId: 'site-1', ip: '10.0.0.20', mac: '00:11:22:33:44:55', hostnames: ['printer.lan'],
  vendor: 'Acme Printers', openPorts: [{ port: 80, service: 'http' }, { port: 631, service: 'ipp' }], snmp: {}, attributes: { rttMs: '0.4' },
  state: 'candidate', firstSeen: '2026-12-01T10:00:00Z', lastSeen: '2026-12-06T10:00:00Z', gone: false, new: false, lastJobId: 'sc1',
  seenByJobs: ['sc1'], version: 1, ...over,
})
