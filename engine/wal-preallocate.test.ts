// The WAL's preallocated zero tail (wal/writer.ts WAL_PREALLOCATE) through the engine: a power
// loss leaves it, and recovery (paranoid or not) reads it as the WAL's end with every acknowledged
// write; a rotated or closed WAL is cut to its records.

import { describe, expect, it } from 'vitest'
import { PREALLOCATE_MIN } from '../base/fs.js'
import { MemFileSystem } from '../base/mem-fs.js'
import { readLog } from '../wal/index.js'
import { open } from './index.js'

const DIR = '/db'

function wals(fs: MemFileSystem): string[] {
  return fs.list(DIR).filter((n) => n.endsWith('.wal')).map((n) => `${DIR}/${n}`)
}

/** The WAL's length and where its records end (readLog, tail not tolerated: a zero tail is fine). */
function walShape(fs: MemFileSystem, path: string): { length: number; recordsEnd: number } {
  const f = fs.openRead(path)
  try {
    return { length: f.size, recordsEnd: readLog(f, 'wal', { tolerateTornTail: false }, () => {}).validLength }
  } finally {
    f.close()
  }
}

describe('WAL preallocation', () => {
  it('a power loss leaves a zero tail; every synced write is recovered, in both writeback models, paranoid or not', async () => {
    for (let seed = 1; seed <= 12; seed++) {
      const mem = new MemFileSystem()
      const db = await open(DIR, { fs: mem, valueThreshold: 64 })
      const acked: Record<string, string> = {}
      for (let i = 0; i < 40; i++) {
        const value = `${i}-`.repeat(i % 3 === 0 ? 40 : 3)
        await db.put(`k${i}`, value, { sync: i % 4 !== 3 })
        if (i % 4 !== 3) acked[`k${i}`] = value
      }
      const [wal] = wals(mem)
      const live = walShape(mem, wal)
      expect(live.length).toBeGreaterThan(live.recordsEnd) // the zeros are there
      const after = mem.crash({ seed, writeback: seed % 2 === 0 ? 'any' : 'prefix' })
      expect(walShape(after, wal).length).toBeGreaterThan(live.recordsEnd)
      const reopened = await open(DIR, { fs: after, paranoid: seed % 3 === 0, valueThreshold: 64 })
      try {
        for (const [k, v] of Object.entries(acked)) expect(reopened.getSync(k)?.toString(), `seed ${seed} ${k}`).toBe(v)
      } finally {
        await reopened.close()
      }
      // Closed: every WAL left ends at its records (the close marker included), no zeros.
      for (const w of wals(after)) {
        const shape = walShape(after, w)
        expect(shape.length, w).toBe(shape.recordsEnd)
      }
    }
  })

  it('an unsynced WAL writes no zero tail in the syncs of its rotation or of a clean close', async () => {
    const mem = new MemFileSystem()
    const db = await open(DIR, { fs: mem, memtableSize: 256 * 1024 })
    // The only zeros such a WAL may hold are those its creation's sync wrote (PREALLOCATE_MIN);
    // a rotation's or close's sync extending it would leave more, seen when close cuts them.
    const seen: { path: string; zeros: number; recordsEnd: number }[] = []
    mem.onOperation = (op) => {
      if ((op.kind === 'sync' || op.kind === 'truncate') && op.path.endsWith('.wal')) {
        const shape = walShape(mem, op.path)
        seen.push({ path: op.path, zeros: shape.length - shape.recordsEnd, recordsEnd: shape.recordsEnd })
      }
    }
    for (let i = 0; i < 3000; i += 100) {
      const b = db.batch()
      for (let j = i; j < i + 100; j++) b.put(`key-${j}`, 'v'.repeat(200))
      await b.write()
    }
    await db.close()
    mem.onOperation = undefined
    const full = seen.filter((s) => s.recordsEnd > 128 * 1024)
    expect(new Set(full.map((s) => s.path)).size).toBeGreaterThan(1) // rotated, then closed
    for (const s of seen) expect(s.zeros, s.path).toBeLessThanOrEqual(PREALLOCATE_MIN + 4096)
  })

  it('a tiny database carries a small zero tail, not the whole WAL_PREALLOCATE', async () => {
    const mem = new MemFileSystem()
    const db = await open(DIR, { fs: mem })
    for (let i = 0; i < 100; i++) await db.put(`key-${i}`, 'v'.repeat(100), { sync: true })
    const [wal] = wals(mem)
    const shape = walShape(mem, wal)
    expect(shape.length - shape.recordsEnd).toBeGreaterThan(0)
    expect(shape.length).toBeLessThanOrEqual(128 * 1024)
    await db.close()
  })

  it('a rotated WAL is cut to its records (seen as its flush retires it); the live one keeps its zeros until close', async () => {
    const mem = new MemFileSystem()
    const retired: { path: string; length: number; recordsEnd: number }[] = []
    mem.onOperation = (op) => {
      if (op.kind === 'remove' && op.path.endsWith('.wal')) retired.push({ path: op.path, ...walShape(mem, op.path) })
    }
    const db = await open(DIR, { fs: mem, memtableSize: 4096 })
    for (let i = 0; i < 200; i++) await db.put(`key-${i}`, 'v'.repeat(50), { sync: true })
    await db.flush()
    expect(retired.length).toBeGreaterThan(1)
    for (const r of retired) expect(r.length, r.path).toBe(r.recordsEnd)
    const [live] = wals(mem)
    await db.put('one more', 'x', { sync: true })
    const shape = walShape(mem, live)
    expect(shape.length).toBeGreaterThan(shape.recordsEnd)
    await db.close()
    for (const w of wals(mem)) {
      const closed = walShape(mem, w)
      expect(closed.length, w).toBe(closed.recordsEnd)
    }
  })
})
