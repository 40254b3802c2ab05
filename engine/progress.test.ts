// The onProgress hooks of long calls: the reporter itself (done only grows, never past total,
// total reported once at the end), and verifyDatabase, compactRange, backup and load/restore
// calling it that way on a real workload. repair's and salvage backup's are in their own tests.

import { describe, expect, it } from 'vitest'
import { MemFileSystem } from '../base/mem-fs.js'
import { open, restore, verifyDatabase } from './index.js'
import { progressReporter } from './progress.js'

type Calls = [number, number][]

function expectWellFormed(calls: Calls, atLeast = 2): void {
  expect(calls.length).toBeGreaterThanOrEqual(atLeast)
  const total = calls[0][1]
  calls.forEach(([done, t], i) => {
    expect(t).toBe(total)
    expect(done).toBeLessThanOrEqual(t)
    if (i > 0) expect(done).toBeGreaterThan(calls[i - 1][0])
  })
  expect(calls.at(-1)![0]).toBe(total)
}

async function fixture(fs: MemFileSystem): Promise<void> {
  const db = await open('/db', { fs, memtableSize: 16 * 1024, blockSize: 512, valueThreshold: 256, l0CompactionTrigger: 100, l0SlowdownTrigger: 100, l0StopTrigger: 100 })
  for (let i = 0; i < 3000; i++) {
    await db.put(`k${String(i % 1200).padStart(5, '0')}`, i % 7 === 0 ? 'v'.repeat(300) : `value-${i}`)
    if (i % 500 === 499) await db.flush()
  }
  await db.close()
}

describe('progress', () => {
  it('the reporter clamps, only grows, and reports the total once', () => {
    const calls: Calls = []
    const p = progressReporter((d, t) => calls.push([d, t]), 10)
    p.advance(3)
    p.advance(0)
    p.advance(-1)
    p.advance(4)
    p.advance(50)
    p.finish()
    p.finish()
    expect(calls).toEqual([[3, 10], [7, 10], [10, 10]])
    expect(() => progressReporter(5 as never, 1)).toThrow(/onProgress must be a function/)
  })

  it('verifyDatabase counts files', async () => {
    const fs = new MemFileSystem()
    await fixture(fs)
    const calls: Calls = []
    const r = verifyDatabase('/db', { fs, onProgress: (d, t) => calls.push([d, t]) })
    expect(r.ok).toBe(true)
    expectWellFormed(calls, 4)
  })

  it('compactRange counts the bytes of the tables it began with; backup counts entries; load and restore count bytes', async () => {
    const fs = new MemFileSystem()
    await fixture(fs)
    const db = await open('/db', { fs })
    const compact: Calls = []
    const tableBytes = db.stats().levels.reduce((n, l) => n + l.bytes, 0)
    await db.compactRange(undefined, undefined, { onProgress: (d, t) => compact.push([d, t]) })
    expectWellFormed(compact, 1)
    expect(compact[0][1]).toBe(tableBytes)
    const backup: Calls = []
    await db.backup('/b.bak', { onProgress: (d, t) => backup.push([d, t]) })
    expectWellFormed(backup, 3)
    await db.close()

    const restoring: Calls = []
    await restore('/restored', '/b.bak', { fs, onProgress: (d, t) => restoring.push([d, t]) })
    expectWellFormed(restoring, 2)
    expect(restoring[0][1]).toBe(2 * fs.readFile('/b.bak').length)

    const target = await open('/loaded', { fs })
    const loading: Calls = []
    await target.load('/b.bak', { onProgress: (d, t) => loading.push([d, t]) })
    expectWellFormed(loading, 2)
    expect((await target.get('k00001'))?.toString()).toBe('v'.repeat(300)) // written last at i = 2401, a multiple of 7
    expect((await target.get('k00007'))?.toString()).toBe('value-2407')
    await target.close()
  })
})
