// The value log's preallocated zero tail (vlog/value-log.ts VLOG_PREALLOCATE) through the engine:
// a power loss leaves it on the newest file, and the open reads it as that file's clean end (no
// torn tail reported) with every acknowledged write, cuts it, and value-log GC then runs over
// those files; only the newest file ever carries zeros, and a clean close leaves none.
// Never relies on a real disk: MemFileSystem's crash models.

import { describe, expect, it } from 'vitest'
import { MemFileSystem } from '../base/mem-fs.js'
import { makeRng } from '../tests/support/rng.js'
import { scanValueLog } from './inspect.js'
import { type Options, open, verifyDatabase } from './index.js'

const DIR = '/db'
const options = (fs: MemFileSystem, extra: Options = {}): Options => ({
  fs, valueThreshold: 1024, valueLogFileSize: 256 * 1024, memtableSize: 64 * 1024, tableTargetSize: 64 * 1024, ...extra,
})
const key = (i: number) => `key${String(i).padStart(5, '0')}`

function vlogs(fs: MemFileSystem): string[] {
  return fs.list(DIR).filter((n) => n.endsWith('.vlog')).map((n) => `${DIR}/${n}`)
}

/** A value-log file's length and where its entries end (an all-zero rest is not an entry). */
function shape(fs: MemFileSystem, path: string): { length: number; entriesEnd: number } {
  const data = fs.readFile(path)
  return { length: data.length, entriesEnd: scanValueLog(path, data).validLength }
}

describe('value-log preallocation', () => {
  it('a power loss leaves a zero tail on the newest file only; open reads it as the clean end with every synced write, and GC runs after', async () => {
    for (let seed = 1; seed <= 8; seed++) {
      const rng = makeRng(seed)
      const mem = new MemFileSystem()
      const db = await open(DIR, options(mem))
      const acked = new Map<string, Buffer>()
      for (let i = 0; i < 120; i++) {
        const v = Buffer.from(rng.bytes(2000 + rng.int(6000)))
        const k = key(i % 70) // overwrites: garbage for GC
        // Unsynced, then a synced small put that syncs the value log too: a synced put would
        // keep its large value inline in the WAL, never in the active value-log file.
        await db.put(k, v, { sync: false })
        await db.put('synced', String(i), { sync: true })
        acked.set(k, v)
        acked.set('synced', Buffer.from(String(i)))
      }
      const files = vlogs(mem)
      expect(files.length).toBeGreaterThan(1)
      const newest = files[files.length - 1]
      const live = shape(mem, newest)
      expect(live.length).toBeGreaterThan(live.entriesEnd) // the zeros are there
      for (const f of files.slice(0, -1)) expect(shape(mem, f).length, f).toBe(shape(mem, f).entriesEnd)

      const after = mem.crash({ seed, writeback: seed % 2 === 0 ? 'any' : 'prefix' })
      expect(shape(after, newest).length).toBeGreaterThan(live.entriesEnd)
      expect(verifyDatabase(DIR, { fs: after }).problems).toEqual([])
      const re = await open(DIR, options(after, { paranoid: seed % 3 === 0 }))
      try {
        // Every put was synced: nothing was torn, the zeros are the end.
        expect(re.stats().recovery.valueLogTornTail).toBeUndefined()
        for (const [k, v] of acked) expect(Buffer.from(re.getSync(k)!).equals(v), `seed ${seed} ${k}`).toBe(true)
        // The old newest file was cut to its entries and sealed with a marker.
        expect(shape(after, newest).length).toBeLessThanOrEqual(live.entriesEnd + 29)
        await re.compactRange()
        let collected = 0
        while (await re.runValueLogGC(0.3)) collected++
        expect(collected).toBeGreaterThan(0)
        for (const [k, v] of acked) expect(Buffer.from(re.getSync(k)!).equals(v), `seed ${seed} ${k} after GC`).toBe(true)
      } finally {
        await re.close()
      }
      for (const f of vlogs(after)) expect(shape(after, f).length, f).toBe(shape(after, f).entriesEnd)
      expect(verifyDatabase(DIR, { fs: after }).problems).toEqual([])
    }
  })

  it('unsynced large values lost in a crash read as zeros again: the acknowledged synced ones survive, the open reports no damage', async () => {
    for (let seed = 1; seed <= 10; seed++) {
      const rng = makeRng(100 + seed)
      const mem = new MemFileSystem()
      const db = await open(DIR, options(mem, { valueLogFileSize: 16 << 20 }))
      const synced = new Map<string, Buffer>()
      for (let i = 0; i < 40; i++) {
        const v = Buffer.from(rng.bytes(1500 + rng.int(3000)))
        const sync = i % 3 === 0
        await db.put(key(i), v, { sync })
        if (sync) synced.set(key(i), v)
      }
      const after = mem.crash({ seed, writeback: seed % 2 === 0 ? 'any' : 'prefix', tearUnsynced: seed % 4 === 0 })
      const re = await open(DIR, options(after, { valueLogFileSize: 16 << 20, paranoid: true }))
      try {
        for (const [k, v] of synced) expect(Buffer.from(re.getSync(k)!).equals(v), `seed ${seed} ${k}`).toBe(true)
      } finally {
        await re.close()
      }
      expect(verifyDatabase(DIR, { fs: after }).problems).toEqual([])
    }
  })
})
