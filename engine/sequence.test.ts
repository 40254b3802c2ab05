// Sequences: increasing numbers from leases, never repeated across reopen, release and crashes
// (in-memory file system, crash at many points while several sequences hand numbers out).

import { describe, expect, it } from 'vitest'
import { CrashError, MemFileSystem } from '../base/mem-fs.js'
import { type Options, open } from './index.js'

const options = (fs: MemFileSystem): Options => ({ fs, memtableSize: 16 * 1024 })

describe('sequence', () => {
  it('hands out increasing numbers, leased in blocks, and continues after release and reopen', async () => {
    const fs = new MemFileSystem()
    let db = await open('/db', options(fs))
    const seq = db.sequence('ids', 10)
    const got = await Promise.all(Array.from({ length: 25 }, () => seq.next()))
    expect(got).toEqual(Array.from({ length: 25 }, (_, i) => i))
    await seq.release()
    await db.close()
    db = await open('/db', options(fs))
    const again = db.sequence('ids', 10)
    // The release gave 25..29 back.
    expect(await again.next()).toBe(25)
    // Two sequences on one key lease disjoint blocks.
    const other = db.sequence('ids', 5)
    const a = [await again.next(), await other.next(), await again.next(), await other.next()]
    expect(new Set(a).size).toBe(4)
    await db.close()
  })

  it('never repeats a number across crashes', async () => {
    let fs = new MemFileSystem()
    const handedOut = new Set<number>()
    let crashes = 0
    for (let round = 0; round < 30; round++) {
      const db = await open('/db', options(fs))
      fs.crashAfter(3 + ((round * 7) % 23))
      const seqs = [db.sequence('s', 4), db.sequence('s', 3)]
      try {
        for (let i = 0; i < 40; i++) {
          const n = await seqs[i % 2].next()
          expect(handedOut.has(n), `number ${n} handed out twice (round ${round})`).toBe(false)
          handedOut.add(n)
          if (i % 9 === 0) await db.put(`noise${i}`, 'x')
        }
      } catch (err) {
        if (!(err instanceof CrashError)) throw err
      }
      if (fs.isCrashed()) crashes++
      await db.close().catch(() => undefined)
      fs = fs.isCrashed() ? fs.crash({ seed: round }) : fs
    }
    expect(crashes).toBeGreaterThan(20)
    expect(handedOut.size).toBeGreaterThan(100)
  })
})
