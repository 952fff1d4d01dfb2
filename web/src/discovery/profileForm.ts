// The profile editor's form: text fields as typed, checked on submit, turned
// into the request body. The server checks everything again (target sizes,
// reserved ranges, the org's allowed ranges) and its message is shown as is.

import type { Profile, ProfileRequest, ProfileSNMPRequest } from './types'

export const AUTH_PROTOS = ['SHA', 'SHA256', 'SHA512', 'MD5']
export const PRIV_PROTOS = ['AES', 'AES256', 'DES']
/** The server's default ports (core/app/discovery/profiles.go DefaultPorts). */
export const DEFAULT_PORTS = [21, 22, 23, 25, 53, 80, 110, 135, 139, 143, 161, 389, 443, 445, 3306, 3389, 5432, 5900, 8080, 9100]

/** A write-only secret in the form: keep the stored one, or replace it with value. */
export interface SecretField {
  /** The stored profile has one. */
  set: boolean
  replacing: boolean
  value: string
}

export interface ProfileForm {
  name: string
  siteId: string
  targets: string
  exclusions: string
  methods: string[]
  ports: string
  ratePerSecond: string
  concurrency: string
  timeoutSeconds: string
  scannerDeviceIds: string[]
  split: boolean
  snmpVersion: '2c' | '3'
  community: SecretField
  user: string
  authProto: string
  authPass: SecretField
  privProto: string
  privPass: SecretField
  snmpPort: string
  snmpTimeoutMs: string
}

const secret = (set = false): SecretField => ({ set, replacing: !set, value: '' })

export function emptyForm(siteId = ''): ProfileForm {
  return {
    name: '',
    siteId,
    targets: '',
    exclusions: '',
    methods: ['icmp', 'arp', 'rdns', 'tcp'],
    ports: DEFAULT_PORTS.join(', '),
    ratePerSecond: '200',
    concurrency: '64',
    timeoutSeconds: '1800',
    scannerDeviceIds: [],
    split: false,
    snmpVersion: '2c',
    community: secret(),
    user: '',
    authProto: '',
    authPass: secret(),
    privProto: '',
    privPass: secret(),
    snmpPort: '161',
    snmpTimeoutMs: '2000',
  }
}

export function formOf(p: Profile): ProfileForm {
  const s = p.snmp
  return {
    name: p.name,
    siteId: p.siteId,
    targets: p.targets.join('\n'),
    exclusions: p.exclusions.join('\n'),
    methods: [...p.methods],
    ports: p.ports.join(', '),
    ratePerSecond: String(p.ratePerSecond),
    concurrency: String(p.concurrency),
    timeoutSeconds: String(p.timeoutSeconds),
    scannerDeviceIds: [...p.scannerDeviceIds],
    split: p.split,
    snmpVersion: s?.version === '3' ? '3' : '2c',
    community: secret(!!s?.community?.set),
    user: s?.user ?? '',
    authProto: s?.authProto ?? '',
    authPass: secret(!!s?.authPass?.set),
    privProto: s?.privProto ?? '',
    privPass: secret(!!s?.privPass?.set),
    snmpPort: String(s?.port || 161),
    snmpTimeoutMs: String(s?.timeoutMs || 2000),
  }
}

/** One entry a line (commas and blanks also separate), empty lines dropped. */
export function lines(v: string): string[] {
  return v
    .split(/[\n,]+/)
    .map((x) => x.trim())
    .filter(Boolean)
}

/** "22, 80 443" → [22, 80, 443]; null when one is not a port. */
export function parsePorts(v: string): number[] | null {
  const out: number[] = []
  for (const t of v.split(/[\s,]+/).filter(Boolean)) {
    if (!/^\d+$/.test(t)) return null
    const n = Number(t)
    if (n < 1 || n > 65535) return null
    out.push(n)
  }
  return out
}

function intIn(v: string, lo: number, hi: number): number | null {
  if (!/^\d+$/.test(v.trim())) return null
  const n = Number(v.trim())
  return n >= lo && n <= hi ? n : null
}

export const LIMITS = {
  ratePerSecond: [1, 10_000],
  concurrency: [1, 1024],
  timeoutSeconds: [30, 86_400],
  snmpPort: [1, 65535],
  snmpTimeoutMs: [100, 60_000],
} as const

/** Field → message; empty when the form can be sent. */
export function validate(f: ProfileForm): Record<string, string> {
  const e: Record<string, string> = {}
  if (!f.name.trim()) e.name = 'Name the profile.'
  if (!f.siteId) e.siteId = 'Choose the site to scan.'
  const targets = lines(f.targets)
  if (targets.length === 0) e.targets = 'Give at least one target: a CIDR, a range or a host.'
  else if (targets.length > 256) e.targets = 'At most 256 targets.'
  if (lines(f.exclusions).length > 256) e.exclusions = 'At most 256 exclusions.'
  if (f.methods.length === 0) e.methods = 'Choose at least one method.'
  const ports = parsePorts(f.ports)
  if (ports === null) e.ports = 'Ports are numbers from 1 to 65535, separated by commas.'
  else if (f.methods.includes('tcp') && ports.length === 0) e.ports = 'The tcp method needs at least one port.'
  else if (ports.length > 1024) e.ports = 'At most 1024 ports.'
  for (const k of ['ratePerSecond', 'concurrency', 'timeoutSeconds'] as const) {
    const [lo, hi] = LIMITS[k]
    if (intIn(f[k], lo, hi) === null) e[k] = `A whole number from ${lo.toLocaleString()} to ${hi.toLocaleString()}.`
  }
  if (f.scannerDeviceIds.length === 0) e.scannerDeviceIds = 'Choose at least one device of the site to scan from.'
  else if (f.scannerDeviceIds.length > 64) e.scannerDeviceIds = 'At most 64 scanning devices.'
  if (f.methods.includes('snmp')) {
    const newSecret = (s: SecretField) => (s.replacing ? s.value : null)
    if (f.snmpVersion === '2c') {
      const c = newSecret(f.community)
      if (c !== null && !c) e.community = 'Give the community.'
    } else {
      if (!f.user.trim()) e.user = 'Give the SNMPv3 user.'
      if (f.authProto) {
        const a = newSecret(f.authPass)
        if (a !== null && a.length < 8) e.authPass = 'At least 8 characters.'
      }
      if (f.privProto) {
        if (!f.authProto) e.privProto = 'Privacy needs authentication.'
        const p = newSecret(f.privPass)
        if (p !== null && p.length < 8) e.privPass = 'At least 8 characters.'
      }
    }
    for (const k of ['snmpPort', 'snmpTimeoutMs'] as const) {
      const [lo, hi] = LIMITS[k]
      if (intIn(f[k], lo, hi) === null) e[k] = `A whole number from ${lo.toLocaleString()} to ${hi.toLocaleString()}.`
    }
  }
  return e
}

/** A secret's part of the body: absent keeps the stored one. */
function secretOut(s: SecretField): string | undefined {
  return s.replacing ? s.value : undefined
}

function snmpOf(f: ProfileForm): ProfileSNMPRequest {
  const out: ProfileSNMPRequest = { version: f.snmpVersion, port: Number(f.snmpPort), timeoutMs: Number(f.snmpTimeoutMs) }
  if (f.snmpVersion === '2c') {
    const c = secretOut(f.community)
    if (c !== undefined) out.community = c
    return out
  }
  out.user = f.user.trim()
  if (f.authProto) {
    out.authProto = f.authProto
    const a = secretOut(f.authPass)
    if (a !== undefined) out.authPass = a
  } else if (f.authPass.set) out.authPass = '' // no authentication: clear the stored passphrase
  if (f.privProto) {
    out.privProto = f.privProto
    const p = secretOut(f.privPass)
    if (p !== undefined) out.privPass = p
  } else if (f.privPass.set) out.privPass = ''
  return out
}

/** The POST (new) or PUT (p given) body. */
export function requestOf(f: ProfileForm, p?: Profile, orgId?: string): ProfileRequest {
  const body: ProfileRequest = {
    name: f.name.trim(),
    targets: lines(f.targets),
    exclusions: lines(f.exclusions),
    methods: f.methods,
    ports: parsePorts(f.ports) ?? [],
    ratePerSecond: Number(f.ratePerSecond),
    concurrency: Number(f.concurrency),
    timeoutSeconds: Number(f.timeoutSeconds),
    scannerDeviceIds: f.scannerDeviceIds,
    split: f.split,
  }
  if (f.methods.includes('snmp')) body.snmp = snmpOf(f)
  else if (p?.snmp) body.snmp = null // SNMP off: its credentials go too
  if (p) body.version = p.version
  else {
    body.siteId = f.siteId
    if (orgId) body.orgId = orgId
  }
  return body
}
