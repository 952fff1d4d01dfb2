import { describe, expect, it } from 'vitest'
import { emptyForm, formOf, requestOf, validate } from './scheduleForm'
import type { Schedule } from './types'
import { previewOf } from './WhenFields'

const saved: Schedule = {
  id: 's1', partnerId: 'p1', orgId: 'o1', name: 'checks', enabled: true, timezone: 'UTC', cron: '* * * * *',
  target: { kind: 'org', ids: ['o1'] }, task: { kind: 'action', action: 'uptime', payload: {} }, offlinePolicy: 'skip', graceMinutes: 0,
  spreadSeconds: 60, createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z', version: 3,
}

describe('spread', () => {
  it('is kept, sent and bounded', () => {
    const f = formOf(saved)
    expect(f.spreadSeconds).toBe('60')
    expect(requestOf(f, undefined, saved).spreadSeconds).toBe(60)
    expect(validate({ ...f, spreadSeconds: '3601' }, undefined, saved).spreadSeconds).toMatch(/0 to 3600/)
    expect(validate({ ...f, spreadSeconds: '-5' }, undefined, saved).spreadSeconds).toBeTruthy()
    expect(validate(f, undefined, saved).spreadSeconds).toBeUndefined()
  })
  it('asks the preview for the saved schedule’s offset', () => {
    const p = previewOf(formOf(saved))
    expect(p).toMatchObject({ cron: '* * * * *', scheduleId: 's1', spreadSeconds: 60 })
    const fresh = previewOf({ ...emptyForm('o1'), timezone: 'UTC' })
    expect(fresh && 'scheduleId' in fresh).toBe(false)
  })
  it('is not sent for a one-off', () => {
    const f = { ...formOf(saved), when: 'once' as const, runAt: '2030-01-01T10:00', spreadSeconds: '99999' }
    expect(validate(f, undefined, saved).spreadSeconds).toBeUndefined()
    expect('spreadSeconds' in requestOf(f, undefined, saved)).toBe(false)
  })
})
