import { describe, expect, it } from 'vitest'
import { cronOf, cronProblem, daysField, describeCron, emptyCron, parseCron } from './cron'
import { payloadOf, payloadProblem, valuesOf } from './taskActions'
import { instantToZoned, zonedToInstant } from './zoned'

describe('the cron helper', () => {
  it('builds each preset', () => {
    const c = emptyCron()
    expect(cronOf({ ...c, preset: 'minutes', everyMinutes: '15' })).toBe('*/15 * * * *')
    expect(cronOf({ ...c, preset: 'minutes', everyMinutes: '1' })).toBe('* * * * *')
    expect(cronOf({ ...c, preset: 'hourly', minute: '05' })).toBe('5 * * * *')
    expect(cronOf({ ...c, preset: 'daily', at: '02:30' })).toBe('30 2 * * *')
    expect(cronOf({ ...c, preset: 'weekly', at: '23:05', days: [5, 1, 2, 3] })).toBe('5 23 * * 1-3,5')
    expect(cronOf({ ...c, preset: 'monthly', at: '04:00', dayOfMonth: '28' })).toBe('0 4 28 * *')
    expect(cronOf({ ...c, preset: 'custom', raw: '  0   */6 * * *  ' })).toBe('0 */6 * * *')
    expect(daysField([0, 6])).toBe('0,6')
    expect(daysField([0, 1, 2, 3, 4, 5, 6])).toBe('0-6')
  })

  it('refuses what the server would', () => {
    const c = emptyCron()
    expect(cronProblem(c)).toBeNull()
    expect(cronProblem({ ...c, preset: 'minutes', everyMinutes: '0' })).toBeTruthy()
    expect(cronProblem({ ...c, preset: 'minutes', everyMinutes: '60' })).toBeTruthy()
    expect(cronProblem({ ...c, preset: 'hourly', minute: '60' })).toBeTruthy()
    expect(cronProblem({ ...c, preset: 'daily', at: '24:00' })).toBeTruthy()
    expect(cronProblem({ ...c, preset: 'weekly', days: [] })).toBeTruthy()
    expect(cronProblem({ ...c, preset: 'monthly', dayOfMonth: '32' })).toBeTruthy()
    expect(cronProblem({ ...c, preset: 'custom', raw: '* * * *' })).toBeTruthy()
  })

  it('reads back what it writes, and keeps anything else as the raw expression', () => {
    for (const e of ['*/15 * * * *', '* * * * *', '5 * * * *', '30 2 * * *', '30 2 * * 1-5', '0 9 * * 0,6', '0 4 28 * *']) {
      const f = parseCron(e)
      expect(f.preset, e).not.toBe('custom')
      expect(cronOf(f)).toBe(e)
    }
    for (const e of ['30 2 * * 5,1', '0 0 1 1 *', '0 */6 * * *', '30 02 * * *', '0 9 * * 7', 'nonsense', '@daily']) {
      const f = parseCron(e)
      expect(f.preset, e).toBe('custom')
      expect(f.raw).toBe(e)
    }
  })

  it('says a timing in words', () => {
    expect(describeCron('*/15 * * * *')).toBe('Every 15 minutes')
    expect(describeCron('* * * * *')).toBe('Every minute')
    expect(describeCron('5 * * * *')).toBe('Every hour at :05')
    expect(describeCron('30 2 * * *')).toBe('Every day at 02:30')
    expect(describeCron('30 2 * * 1-5')).toBe('Weekdays at 02:30')
    expect(describeCron('0 10 * * 0,6')).toBe('Weekends at 10:00')
    expect(describeCron('0 10 * * 1,3,5')).toBe('Mon, Wed, Fri at 10:00')
    expect(describeCron('0 4 1 * *')).toBe('Monthly on day 1 at 04:00')
    expect(describeCron('0 0 1 1 *')).toBe('cron 0 0 1 1 *')
  })
})

describe('zoned times', () => {
  it('reads a local date-time in its zone, across daylight-saving changes', () => {
    expect(zonedToInstant('2026-12-07T02:30', 'Europe/Berlin')).toBe('2026-12-07T01:30:00Z')
    expect(zonedToInstant('2026-07-07T02:30', 'Europe/Berlin')).toBe('2026-07-07T00:30:00Z')
    expect(zonedToInstant('2026-07-04T09:30', 'America/New_York')).toBe('2026-07-04T13:30:00Z')
    // 2026-03-29 02:30 does not exist in Berlin: the clock jumps from 02:00 to 03:00
    expect(zonedToInstant('2026-03-29T02:30', 'Europe/Berlin')).toBe('2026-03-29T01:30:00Z')
    // 2026-10-25 02:30 happens twice: the first (summer time)
    expect(zonedToInstant('2026-10-25T02:30', 'Europe/Berlin')).toBe('2026-10-25T00:30:00Z')
    expect(zonedToInstant('2026-10-25T02:30', 'No/Such_Zone')).toBeNull()
    expect(zonedToInstant('tomorrow', 'UTC')).toBeNull()
  })

  it('shows an instant as a local date-time in its zone', () => {
    expect(instantToZoned('2026-12-07T01:30:00Z', 'Europe/Berlin')).toBe('2026-12-07T02:30')
    expect(instantToZoned('2026-12-07T00:00:00Z', 'America/Los_Angeles')).toBe('2026-12-06T16:00')
    expect(instantToZoned('2026-12-07T23:30:00Z', 'UTC')).toBe('2026-12-07T23:30')
    expect(instantToZoned('x', 'UTC')).toBe('')
  })
})

describe('action payloads', () => {
  it('checks and converts each field type, leaving empty optional ones out', () => {
    expect(payloadProblem('restart_service', {})).toBe('Service name is required.')
    expect(payloadOf('restart_service', { name: ' spooler ' })).toEqual({ name: 'spooler' })
    expect(payloadProblem('reboot', { delaySeconds: '-1' })).toBeTruthy()
    expect(payloadProblem('reboot', { delaySeconds: '1.5' })).toBeTruthy()
    expect(payloadOf('reboot', { delaySeconds: '' })).toEqual({})
    expect(payloadOf('reboot', { delaySeconds: '30' })).toEqual({ delaySeconds: 30 })
    expect(payloadProblem('kill_process', { pid: '42', signal: 'HUP' })).toBeTruthy()
    expect(payloadOf('kill_process', { pid: '42', signal: 'KILL' })).toEqual({ pid: 42, signal: 'KILL' })
    expect(payloadProblem('discover', { plugin: 'nmap', targets: '10.0.0.0/24', ports: '22, 70000' })).toBeTruthy()
    expect(payloadOf('discover', { plugin: 'nmap', targets: '10.0.0.0/24, host.lan', ports: '22, 443' })).toEqual({
      plugin: 'nmap', targets: ['10.0.0.0/24', 'host.lan'], ports: [22, 443],
    })
    expect(valuesOf('discover', { plugin: 'nmap', targets: ['a', 'b'], ports: [22] })).toEqual({ plugin: 'nmap', targets: 'a, b', ports: '22' })
    expect(payloadOf('uptime', { anything: 'x' })).toEqual({})
  })
})
