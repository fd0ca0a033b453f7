import { describe, it, expect } from 'vitest'
import { cronProblem, timeZones, wallTime, inZone, nextRuns, lastSlots,
  errorField } from '../../src/lib/schedule.js'

describe('an expression looked at as it is typed', () => {
  it('leaves alone what may parse: the server judges', () => {
    for (const ok of ['', '  ', '0 3 * * *', '*/30 1-5 * * mon,wed,fri', '@daily', '@HOURLY',
      '0 0 1 jan,JUL *', '0 0 * * 7', '5/15 * * * *', '0 0 30 2 *'])
      expect([ok, cronProblem(ok)]).toEqual([ok, null])
  })
  it('says what is plainly wrong, naming the field as the server does', () => {
    expect(cronProblem('every day')).toBe(
      '2 fields where five are needed (minute hour day month weekday)')
    expect(cronProblem('0 3 * * * *')).toBe('more than five fields (minute hour day month weekday)')
    expect(cronProblem('0 24 * * *')).toBe('hour: 0 to 23')
    expect(cronProblem('60 * * * *')).toBe('minute: 0 to 59')
    expect(cronProblem('0 0 0 * *')).toBe('day of the month: 1 to 31')
    expect(cronProblem('0 0 * 13 *')).toBe('month: 1 to 12')
    expect(cronProblem('0 0 * * 1-8')).toBe('day of the week: 0 to 7')
    expect(cronProblem('0 noon * * *')).toBe("hour: 'noon' is not a number")
    expect(cronProblem('0 3 * * mon?')).toMatch(/^day of the week: not '\*', a number or a name/)
    expect(cronProblem('@reboot')).toMatch(/^'@reboot' is not a macro/)
    expect(cronProblem('@daily 3')).toBe('a macro (@daily) stands alone')
    expect(cronProblem('*'.repeat(257))).toBe('over 256 bytes')
  })
})

describe('the time zones to pick from', () => {
  it("are the browser's, UTC first and once", () => {
    const z = timeZones({ supportedValuesOf: () => ['Europe/Berlin', 'UTC', 'Asia/Tokyo'] })
    expect(z).toEqual(['UTC', 'Europe/Berlin', 'Asia/Tokyo'])
  })
  it('are none where the browser cannot list them: the field takes a name', () => {
    expect(timeZones({})).toBe(null)
    expect(timeZones({ supportedValuesOf: () => { throw new RangeError('no') } })).toBe(null)
  })
  it('include the usual ones in this runtime', () => {
    const z = timeZones()
    if (z) expect(z).toEqual(expect.arrayContaining(['UTC', 'Europe/Berlin', 'America/New_York']))
  })
})

describe('a run in the zone and in the browser', () => {
  it("reads the server's wall time, offset and all", () => {
    expect(wallTime('2025-03-30T03:00:00+02:00')).toBe('Sun 30 Mar 2025, 03:00 (UTC+2)')
    expect(wallTime('2025-10-26T02:30:00+01:00')).toBe('Sun 26 Oct 2025, 02:30 (UTC+1)')
    expect(wallTime('2026-01-01T09:15:30-05:00')).toBe('Thu 1 Jan 2026, 09:15:30 (UTC-5)')
    expect(wallTime('2026-01-01T00:00:00Z')).toBe('Thu 1 Jan 2026, 00:00 (UTC)')
    expect(wallTime('2026-01-01T06:30:00+05:30')).toBe('Thu 1 Jan 2026, 06:30 (UTC+5:30)')
    expect(wallTime('not a time')).toBe('not a time')
    expect(wallTime(null)).toBe('–')
  })
  it('shows an instant in a zone, across DST', () => {
    // The spring-forward night in Berlin: 01:00 UTC is 03:00 CEST.
    expect(inZone('2025-03-30T01:00:00Z', 'Europe/Berlin')).toBe('Sun 30 Mar 2025, 03:00 (UTC+2)')
    expect(inZone('2025-03-30T00:30:00Z', 'Europe/Berlin')).toBe('Sun 30 Mar 2025, 01:30 (UTC+1)')
    expect(inZone('2025-03-30T01:00:00Z', 'America/New_York')).toBe('Sat 29 Mar 2025, 21:00 (UTC-4)')
    expect(inZone('2025-03-30T01:00:00Z', 'UTC')).toBe('Sun 30 Mar 2025, 01:00 (UTC)')
    expect(inZone('2025-03-30T01:00:00Z', 'Asia/Kolkata')).toBe('Sun 30 Mar 2025, 06:30 (UTC+5:30)')
    expect(inZone('nonsense', 'UTC')).toBe('–')
    expect(inZone('2025-03-30T01:00:00Z', 'No/Such_Zone')).toBe('2025-03-30T01:00:00.000Z')
  })
  it('pairs each next run in the two', () => {
    const s = { schedule: '0 3 * * *', schedule_tz: 'Europe/Berlin',
      next_runs: ['2025-03-30T01:00:00Z', '2025-03-31T01:00:00Z'],
      next_runs_local: ['2025-03-30T03:00:00+02:00', '2025-03-31T03:00:00+02:00'] }
    expect(nextRuns(s, 'Asia/Tokyo')).toEqual([
      { utc: '2025-03-30T01:00:00Z', zone: 'Sun 30 Mar 2025, 03:00 (UTC+2)',
        local: 'Sun 30 Mar 2025, 10:00 (UTC+9)' },
      { utc: '2025-03-31T01:00:00Z', zone: 'Mon 31 Mar 2025, 03:00 (UTC+2)',
        local: 'Mon 31 Mar 2025, 10:00 (UTC+9)' }])
    expect(nextRuns({ schedule: null, next_runs: [], next_runs_local: [] })).toEqual([])
    expect(nextRuns(null)).toEqual([])
  })
})

describe('the last slots', () => {
  it('name the job started, and the one that made a slot be skipped', () => {
    expect(lastSlots({ last_run_at: null, last_skipped_at: null })).toEqual({})
    expect(lastSlots({ last_run_at: '2026-01-01T03:00:00Z', last_job_id: 7,
      last_skipped_at: '2026-01-02T03:00:00Z', last_skipped_job_id: 7 })).toEqual({
      run: { at: '2026-01-01T03:00:00Z', job: 7 },
      skipped: { at: '2026-01-02T03:00:00Z', job: 7,
        reason: 'job #7 was still queued or running' } })
    expect(lastSlots({ last_skipped_at: '2026-01-02T03:00:00Z', last_skipped_job_id: null })
      .skipped.reason).toBe('a job of the website was still queued or running')
  })
})

describe("an API error's field", () => {
  it('is the form field it names', () => {
    expect(errorField({ field: 'schedule_tz' })).toBe('schedule_tz')
    expect(errorField({ field: 'variants[2]' })).toBe('variants')
    expect(errorField({ field: null })).toBe(null)
    expect(errorField('a string')).toBe(null)
    expect(errorField(null)).toBe(null)
  })
})
