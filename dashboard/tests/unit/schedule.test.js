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
    for (const [expr, why] of [
      ['every day', '2 fields where five are needed (minute hour day month weekday)'],
      ['0 3 * * * *', 'more than five fields (minute hour day month weekday)'],
      ['0 24 * * *', 'hour: 0 to 23'],
      ['60 * * * *', 'minute: 0 to 59'],
      ['0 0 0 * *', 'day of the month: 1 to 31'],
      ['0 0 * 13 *', 'month: 1 to 12'],
      ['0 0 * * 1-8', 'day of the week: 0 to 7'],
      ['0 noon * * *', "hour: 'noon' is not a number"],
      ['0 3 * * mon?', "day of the week: not '*', a number or a name, a range 'a-b', " +
        "a list of them, or any of them with a '/step'"],
      ['@reboot', "'@reboot' is not a macro (@yearly, @annually, @monthly, @weekly, " +
        '@daily, @midnight, @hourly)'],
      ['@daily 3', 'a macro (@daily) stands alone'],
      ['*'.repeat(257), 'over 256 bytes']])
      expect([expr, cronProblem(expr)]).toEqual([expr, why])
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
    for (const [iso, shown] of [
      ['2025-03-30T03:00:00+02:00', 'Sun 30 Mar 2025, 03:00 (UTC+2)'],
      ['2025-10-26T02:30:00+01:00', 'Sun 26 Oct 2025, 02:30 (UTC+1)'],
      ['2026-01-01T09:15:30-05:00', 'Thu 1 Jan 2026, 09:15:30 (UTC-5)'],
      ['2026-01-01T00:00:00Z', 'Thu 1 Jan 2026, 00:00 (UTC)'],
      ['2026-01-01T06:30:00+05:30', 'Thu 1 Jan 2026, 06:30 (UTC+5:30)'],
      ['not a time', 'not a time'],
      [null, '–']])
      expect([iso, wallTime(iso)]).toEqual([iso, shown])
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
