// Shapes of /api/v1/discovery (notes/issue16.md; as built in adapters/http/api/discovery*_dto.go).
// Every text field of an asset but its ids came from the network: render it as text, never as HTML.

export const METHODS = ['icmp', 'tcp', 'arp', 'rdns', 'snmp'] as const
export type Method = (typeof METHODS)[number]

export const ASSET_STATES = ['candidate', 'managed', 'tracked', 'ignored'] as const
export type AssetState = (typeof ASSET_STATES)[number]

export type ScanStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'timed_out'
export const ACTIVE_SCAN: ScanStatus[] = ['queued', 'running']

/** A write-only secret as read: only whether it is set. */
export interface SecretState {
  set: boolean
}

export interface ProfileSNMP {
  version: '2c' | '3' | string
  community?: SecretState
  user?: string
  authProto?: string
  authPass?: SecretState
  privProto?: string
  privPass?: SecretState
  port: number
  timeoutMs: number
}

export interface Profile {
  id: string
  partnerId: string
  orgId: string
  siteId: string
  name: string
  targets: string[]
  exclusions: string[]
  methods: string[]
  ports: number[]
  ratePerSecond: number
  concurrency: number
  timeoutSeconds: number
  scannerDeviceIds: string[]
  split: boolean
  snmp: ProfileSNMP | null
  /** Targets minus exclusions (at most 65536). */
  addresses: number
  createdBy?: string
  createdAt: string
  updatedAt: string
  version: number
}

/** SNMP on write: a secret is a string to set ("" clears it), absent to keep the stored one. */
export interface ProfileSNMPRequest {
  version: string
  community?: string
  user?: string
  authProto?: string
  authPass?: string
  privProto?: string
  privPass?: string
  port?: number
  timeoutMs?: number
}

export interface ProfileRequest {
  orgId?: string
  siteId?: string
  name?: string
  targets?: string[]
  exclusions?: string[]
  methods?: string[]
  ports?: number[]
  ratePerSecond?: number
  concurrency?: number
  timeoutSeconds?: number
  scannerDeviceIds?: string[]
  split?: boolean
  /** null removes SNMP. */
  snmp?: ProfileSNMPRequest | null
  version?: number
}

export interface DiscoverySettings {
  orgId: string
  allowedRanges: string[]
  updatedAt?: string
  version: number
}

export interface ScanCommand {
  id: string
  deviceId: string
  phase: string
  plugin: string
  status: string
  pages: number
  assets: number
  scanned: number
}

export interface Scan {
  id: string
  profileId: string
  orgId: string
  siteId: string
  status: ScanStatus | string
  phase: 'sweep' | 'probe' | string
  partial: boolean
  addresses: number
  scanned: number
  assetsFound: number
  error?: string
  requestedBy?: string
  createdAt: string
  startedAt?: string
  finishedAt?: string
  deadline: string
  /** Only on GET /discovery/scans/:id. */
  commands: ScanCommand[]
}

export interface AssetPort {
  port: number
  service?: string
}

export interface Asset {
  id: string
  partnerId: string
  orgId: string
  siteId: string
  ip: string
  mac?: string
  hostnames: string[]
  vendor?: string
  openPorts: AssetPort[]
  /** sysName, sysDescr, sysObjectID, sysLocation, interfaces (a JSON array). */
  snmp: Record<string, string>
  /** Other scanner facts (rttMs, seenBy). */
  attributes: Record<string, string>
  state: AssetState | string
  deviceId?: string
  firstSeen: string
  lastSeen: string
  gone: boolean
  new: boolean
  lastJobId?: string
  seenByJobs: string[]
  version: number
}

export interface AssetEvent {
  id: string
  assetId: string
  kind: string
  ip: string
  jobId?: string
  detail?: string
  at: string
}

export interface AssetDeployment {
  enrollmentKey: string
  keyId: string
  expiresAt: string
  installCommand: string
}

/** One interface of snmp.interfaces. */
export interface SnmpInterface {
  index?: number
  name?: string
  mac?: string
  operStatus?: string | number
}
