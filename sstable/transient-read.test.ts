// Transient block reads: get(…, transient) and iterators with transientBlocks read the same
// entries as the ordinary paths, keep nothing in the cache that the cache would not keep (a
// transient iterator nothing at all), and really reuse their buffer (a transient get's value is
// overwritten by the next transient miss: the contract read-path.ts relies on copying before).

import { describe, expect, it } from 'vitest'
import { Kind, MAX_SEQ } from '../base/internal-key.js'
import { RealFileSystem } from '../base/real-fs.js'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BlockCache } from './block-cache.js'
import { TableBuilder } from './table-builder.js'
import { TableReader } from './table-reader.js'

const key = (i: number) => Buffer.from(`key${String(i).padStart(8, '0')}`)
const value = (i: number) => Buffer.from(`value ${i} `.repeat(8) + 'x'.repeat(i % 50))

function withTable(compression: 'lz4' | 'none', body: (fs: RealFileSystem, path: string) => void): void {
  // RealFileSystem: transient reads need readInto (MemFileSystem has it too, but this is the worker's case).
  const dir = mkdtempSync(join(tmpdir(), 'sett-transient-'))
  try {
    const fs = new RealFileSystem()
    const path = join(dir, 't.sst')
    const b = new TableBuilder(fs.create(path), { compression, blockSize: 1024 })
    for (let i = 0; i < 2000; i++) b.add(key(i), i + 1, Kind.Value, value(i))
    b.finish()
    body(fs, path)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

describe('transient block reads', () => {
  it('a lookup that decodes its block only in part answers as a whole-block lookup does (lz4, no cache)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sett-transient-'))
    try {
      const fs = new RealFileSystem()
      const path = join(dir, 't.sst')
      const b = new TableBuilder(fs.create(path), { compression: 'lz4', blockSize: 1024 })
      // Key 500's 60 versions span several blocks: a seek past the newer ones runs off a block.
      for (let i = 0; i < 1000; i++) {
        if (i === 500) for (let s = 100; s >= 41; s--) b.add(key(i), s, Kind.Value, value(s))
        else b.add(key(i), 1, Kind.Value, value(i))
      }
      b.finish()
      const r = TableReader.open(fs, path, 1, new BlockCache(0))
      for (let i = 0; i < 1000; i++) {
        if (i === 500) continue
        expect(Buffer.from(r.get(key(i), MAX_SEQ, true)!.value).toString(), `key ${i}`).toBe(value(i).toString())
        // Between key i and the next (past a block's last key, at a block's end).
        expect(r.get(Buffer.from(`key${String(i).padStart(8, '0')}!`), MAX_SEQ, true)).toBeUndefined()
      }
      for (let s = 100; s >= 30; s--) {
        const got = r.get(key(500), s, true)
        if (s < 41) expect(got).toBeUndefined()
        else expect([got!.seq, Buffer.from(got!.value).toString()]).toEqual([s, value(s).toString()])
      }
      r.close()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  for (const compression of ['lz4', 'none'] as const) {
    it(`get(…, transient) finds what get() finds and caches only what the cache admits (${compression})`, () => {
      withTable(compression, (fs, path) => {
        const cache = new BlockCache(8 * 1024)
        const r = TableReader.open(fs, path, 1, cache)
        for (let i = 0; i < 2000; i += 7) {
          const got = r.get(key(i), MAX_SEQ, true)
          expect(Buffer.from(got!.value).toString(), `key ${i}`).toBe(value(i).toString())
          expect(r.get(Buffer.from(`key${String(i).padStart(8, '0')}!`), MAX_SEQ, true)).toBeUndefined()
        }
        expect(cache.size).toBeLessThanOrEqual(8 * 1024)
        expect(cache.count).toBeGreaterThan(0)
        r.close()
      })
    })

    it(`a transient get's value is overwritten by the next transient miss, and a cached one is not (${compression})`, () => {
      withTable(compression, (fs, path) => {
        const r = TableReader.open(fs, path, 1, new BlockCache(0))
        const first = r.get(key(0), MAX_SEQ, true)!.value
        const before = Buffer.from(first)
        r.get(key(1999), MAX_SEQ, true)
        expect(Buffer.compare(first, before)).not.toBe(0)
        const owned = r.get(key(0), MAX_SEQ)!.value
        r.get(key(1999), MAX_SEQ, true)
        expect(Buffer.compare(owned, before)).toBe(0)
        r.close()
      })
    })

    it(`recycled cache buffers never overwrite a block an iterator or a plain get holds (${compression})`, () => {
      withTable(compression, (fs, path) => {
        // Room for a few blocks: every admitted point-lookup block evicts another.
        const cache = new BlockCache(6 * 1024)
        const r = TableReader.open(fs, path, 1, cache)
        // Fill the cache through point lookups (unescaped blocks), then let an iterator and a
        // plain get take some of them.
        for (let i = 0; i < 40; i++) r.get(key(i), MAX_SEQ, true)
        const it = r.iterator()
        it.seekGE(key(30))
        const held = it.value()
        const heldCopy = Buffer.from(held)
        const plain = r.get(key(35), MAX_SEQ)!.value
        const plainCopy = Buffer.from(plain)
        let pseudo = 7
        for (let n = 0; n < 3000; n++) {
          pseudo = (pseudo * 1103515245 + 12345) % 2 ** 31
          const i = pseudo % 2000
          const got = r.get(key(i), MAX_SEQ, true)
          expect(Buffer.from(got!.value).toString(), `key ${i}`).toBe(value(i).toString())
        }
        expect(Buffer.compare(held, heldCopy)).toBe(0)
        expect(Buffer.compare(plain, plainCopy)).toBe(0)
        expect(cache.size).toBeLessThanOrEqual(6 * 1024)
        it.close()
        r.close()
      })
    })

    it(`short scans share read-ahead windows, and what a closed scan read stays intact (${compression})`, () => {
      withTable(compression, (fs, path) => {
        const r = TableReader.open(fs, path, 1, new BlockCache(0))
        const kept: [number, Uint8Array][] = []
        for (let s = 0; s < 200; s++) {
          const start = (s * 37) % 1900
          const it = r.iterator()
          it.seekGE(key(start))
          for (let i = start; i < start + 60; i++) {
            expect(Buffer.from(it.userKey()).toString()).toBe(key(i).toString())
            if (i === start + 59) kept.push([i, it.value()])
            it.next()
          }
          it.close()
        }
        for (const [i, v] of kept) expect(Buffer.from(v).toString(), `key ${i}`).toBe(value(i).toString())
        r.close()
      })
    })

    it(`an iterator with transientBlocks reads every entry in both directions and caches nothing (${compression})`, () => {
      withTable(compression, (fs, path) => {
        const cache = new BlockCache(1 << 20)
        const r = TableReader.open(fs, path, 1, cache)
        const it = r.iterator({ transientBlocks: true })
        let n = 0
        for (it.first(); it.valid(); it.next()) {
          expect(Buffer.from(it.userKey()).toString()).toBe(key(n).toString())
          expect(Buffer.from(it.value()).toString()).toBe(value(n).toString())
          n++
        }
        expect(n).toBe(2000)
        it.seekGE(key(1500))
        expect(Buffer.from(it.value()).toString()).toBe(value(1500).toString())
        for (let i = 1500; i > 1400; i--) it.prev()
        expect(Buffer.from(it.userKey()).toString()).toBe(key(1400).toString())
        expect(Buffer.from(it.value()).toString()).toBe(value(1400).toString())
        it.close()
        expect(cache.count).toBe(0)
        r.close()
      })
    })
  }
})
