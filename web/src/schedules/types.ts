// Shapes of /api/v1/schedules (notes/issue15.md, the contract with the server).

export type TargetKind = 'devices' | 'group' | 'site' | 'org'
export type OfflinePolicy = 'skip' | 'when_online'
export type FireStatus = 'fired' | 'skipped' | 'failed'

export interface Target {
  kind: TargetKind
  ids: string[]
}

/** What a schedule (or an alert rule's remediation) runs: a library script or a built-in agent action. */
export type Task =
  | { kind: 'script'; scriptId: string; params: Record<string, unknown> }
  | { kind: 'action'; action: string; payload: Record<string, unknown> }

export interface Schedule {
  id: string
  partnerId: string
  orgId?: string
  name: string
  description?: string
  enabled: boolean
  /** IANA zone the cron expression or one-off time is read in. */
  timezone: string
  /** 5 fields (min hour dom mon dow); exactly one of cron and runAt. */
  cron?: string
  runAt?: string
  target: Target
  task: Task
  offlinePolicy: OfflinePolicy
  graceMinutes: number
  /** Every cron fire lands this schedule's own fixed offset in [0, spreadSeconds) later. */
  spreadSeconds?: number
  nextFireAt?: string
  lastFireAt?: string
  /** Why the schedule cannot run as saved (its script deleted, its params no longer valid). */
  lastError?: string
  createdBy?: string
  createdAt: string
  updatedAt: string
  version: number
}

export interface ScheduleRequest {
  partnerId?: string
  orgId?: string
  name?: string
  description?: string
  enabled?: boolean
  timezone?: string
  cron?: string
  runAt?: string
  target?: Target
  task?: Task
  offlinePolicy?: OfflinePolicy
  graceMinutes?: number
  spreadSeconds?: number
  version?: number
}

export interface PreviewRequest {
  cron?: string
  runAt?: string
  timezone: string
  count?: number
  /** A saved schedule: its spread offset is applied to the times. */
  scheduleId?: string
  spreadSeconds?: number
}

export interface PreviewResponse {
  fireTimes: string[]
}

export interface Fire {
  id: string
  scheduleId: string
  /** The scheduled time. */
  fireAt: string
  firedAt?: string
  status: FireStatus | string
  error?: string
  scriptRunId?: string
  commandIds?: string[]
  counts?: Record<string, number>
  total?: number
}
