import { describe, it, expect } from 'vitest'
import { usePager } from '../../src/lib/pager.js'

describe('a list read a page at a time', () => {
  it('goes forward by the starts the API gives, and back by those it kept', async () => {
    const reads = []
    // Pages of 10 ids, newest first, 25 in all.
    const p = usePager(async (start) => {
      reads.push(start)
      const from = start ?? 26
      p.next.value = from - 10 > 1 ? from - 10 : null
    })
    await p.first()
    expect([p.cur.value, p.next.value, p.back.value]).toEqual([null, 16, []])
    await p.nextPage()
    await p.nextPage()
    expect([p.cur.value, p.next.value, p.back.value]).toEqual([6, null, [null, 16]])
    await p.prevPage()
    expect([p.cur.value, p.back.value]).toEqual([16, [null]])
    await p.first()
    expect([p.cur.value, p.back.value]).toEqual([null, []])
    expect(reads).toEqual([null, 16, 6, 16, null])
  })
})
