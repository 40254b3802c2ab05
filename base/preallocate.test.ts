// Tests for CreateOptions.preallocate on RealFileSystem (a tmp dir) and MemFileSystem: size is
// what was appended, zeros are written past it at sync() time, trim()/close() cut them; the crash
// models restore the zeros an unsynced append overwrote; encryption ignores the option.

import { mkdtempSync, rmSync, statSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ENCRYPTION_HEADER_SIZE, EncryptedFileSystem } from './encrypted-fs.js'
import { type FileSystem, PREALLOCATE_MIN, preallocatedAhead } from './fs.js'
import { KeyRegistry } from './key-registry.js'
import { MemFileSystem } from './mem-fs.js'
import { RealFileSystem } from './real-fs.js'

const tmp = mkdtempSync(join(tmpdir(), 'sett-preallocate-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

const PREALLOCATE = 64 * 1024
const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill)
const allZero = (b: Uint8Array) => b.every((x) => x === 0)

const kinds: [string, () => { fs: FileSystem; dir: string; physical: (path: string) => Uint8Array }][] = [
  ['RealFileSystem', () => ({ fs: new RealFileSystem(), dir: tmp, physical: (p) => new Uint8Array(readFileSync(p)) })],
  ['MemFileSystem', () => {
    const fs = new MemFileSystem()
    return { fs, dir: '/', physical: (p) => fs.readFile(p) }
  }],
]

describe.each(kinds)('%s create(path, { preallocate })', (_name, make) => {
  it('keeps size at the appended length, writes zeros past it at sync(), and appends inside them', async () => {
    const { fs, dir, physical } = make()
    const path = join(dir, 'a.wal')
    const f = fs.create(path, { preallocate: PREALLOCATE })
    f.append(bytes(100, 1))
    expect(f.size).toBe(100)
    expect(physical(path).length).toBe(100) // nothing until a sync
    await f.sync()
    expect(f.size).toBe(100)
    const after = physical(path)
    expect(after.length).toBeGreaterThanOrEqual(100 + PREALLOCATE)
    expect(after.length % 4096).toBe(0)
    expect(allZero(after.subarray(100))).toBe(true)
    // Appends land at the appended end, inside the zeros; the file's length does not move.
    f.append(bytes(50, 2))
    await f.sync()
    expect(f.size).toBe(150)
    const inside = physical(path)
    expect(inside.length).toBe(after.length)
    expect(inside.subarray(0, 150)).toEqual(new Uint8Array([...bytes(100, 1), ...bytes(50, 2)]))
    expect(allZero(inside.subarray(150))).toBe(true)
    // Once fewer than half of the zeros are left, the next sync extends again.
    f.append(bytes(40_000, 3)) // leaves fewer than PREALLOCATE / 2 zeros
    await f.sync()
    const extended = physical(path)
    expect(extended.length).toBeGreaterThanOrEqual(f.size + PREALLOCATE)
    expect(allZero(extended.subarray(f.size))).toBe(true)
    const size = f.size
    await f.close()
    expect(physical(path).length).toBe(size)
    expect(fs.openRead(path).size).toBe(size)
  })

  it('trim() cuts the zeros at once and ends preallocation (a later sync writes none); a file that never synced has none', async () => {
    const { fs, dir, physical } = make()
    const path = join(dir, 'b.wal')
    const f = fs.create(path, { preallocate: PREALLOCATE })
    f.append(bytes(10, 9))
    await f.sync()
    f.trim!()
    expect(physical(path).length).toBe(10)
    // The sync after a trim (a close marker's) makes the cut durable: it must not write a new tail.
    await f.sync()
    expect(physical(path).length).toBe(10)
    f.append(bytes(10, 8))
    expect(physical(path).length).toBe(20)
    await f.sync()
    expect(physical(path).length).toBe(20)
    await f.close()
    expect(physical(path)).toEqual(new Uint8Array([...bytes(10, 9), ...bytes(10, 8)]))

    const g = fs.create(join(dir, 'c.wal'), { preallocate: PREALLOCATE })
    g.append(bytes(10, 7))
    await g.close()
    expect(physical(join(dir, 'c.wal')).length).toBe(10)
  })

  it('the tail starts at PREALLOCATE_MIN and grows with the file up to preallocate', async () => {
    const { fs, dir, physical } = make()
    const path = join(dir, 'grow.wal')
    const f = fs.create(path, { preallocate: 1 << 20 })
    f.append(bytes(100, 1))
    await f.sync()
    // A tiny file carries 64 KiB of zeros, not 1 MiB (a tiny database's space amplification).
    expect(physical(path).length).toBe(Math.ceil((100 + PREALLOCATE_MIN) / 4096) * 4096)
    const tails: number[] = []
    for (let i = 0; i < 200; i++) {
      f.append(bytes(16 * 1024, 2))
      await f.sync()
      const length = physical(path).length
      expect(length % 4096).toBe(0)
      const ahead = length - f.size
      // Never fewer than half the wanted tail after a sync, never more than it (plus the rounding).
      expect(ahead).toBeGreaterThanOrEqual(preallocatedAhead(f.size, 1 << 20) / 2)
      expect(ahead).toBeLessThan(preallocatedAhead(f.size, 1 << 20) + 4096)
      tails.push(ahead)
    }
    expect(Math.max(...tails)).toBeGreaterThan(1 << 19) // grown to the cap
    await f.close()
    expect(physical(path).length).toBe(f.size)
  })

  it('without the option, a file is exactly its appends', async () => {
    const { fs, dir, physical } = make()
    const path = join(dir, 'd.sst')
    const f = fs.create(path)
    f.append(bytes(100, 1))
    await f.sync()
    expect(physical(path).length).toBe(100)
    await f.close()
  })
})

describe('RealFileSystem preallocation on disk', () => {
  it('the zeros are allocated in the file (st_blocks), so an append into them changes no size', async () => {
    const fs = new RealFileSystem()
    const path = join(tmp, 'blocks.wal')
    const f = fs.create(path, { preallocate: 1 << 20 })
    f.append(bytes(1 << 20, 1)) // large enough for the whole 1 MiB tail (it grows with the file)
    await f.sync()
    const st = statSync(path)
    expect(st.size).toBeGreaterThanOrEqual(2 << 20)
    expect(st.blocks * 512).toBeGreaterThanOrEqual(2 << 20) // written, not a hole
    await f.close()
    expect(statSync(path).size).toBe(1 << 20)
  })
})

describe('MemFileSystem crash models with a preallocated file', () => {
  it('a power loss keeps the synced zeros; a lost unsynced append reads as zeros again, a kept one as its bytes', async () => {
    let sawLost = false
    let sawKept = false
    for (let seed = 1; seed <= 60; seed++) {
      const fs = new MemFileSystem()
      const f = fs.create('/x.wal', { preallocate: PREALLOCATE })
      await fs.syncDir('/')
      f.append(bytes(100, 1))
      await f.sync()
      const synced = fs.readFile('/x.wal').length
      f.append(bytes(5000, 2)) // over the zeros, unsynced
      const after = fs.crash({ seed, writeback: seed % 2 === 0 ? 'any' : 'prefix', tearUnsynced: true }).readFile('/x.wal')
      expect(after.length).toBe(synced)
      expect(after.subarray(0, 100)).toEqual(bytes(100, 1))
      expect(allZero(after.subarray(5100))).toBe(true)
      for (let i = 100; i < 5100; i++) {
        // Each byte is the append's, or zero (lost), or — at the tear of the 'prefix' model — garbage.
        if (after[i] === 0) sawLost = true
        else if (after[i] === 2) sawKept = true
      }
    }
    expect(sawLost && sawKept).toBe(true)
  })

  it('restart() keeps every byte and the overwrites, so a later crash still restores the zeros', async () => {
    const fs = new MemFileSystem()
    const f = fs.create('/x.wal', { preallocate: PREALLOCATE })
    await fs.syncDir('/')
    f.append(bytes(100, 1))
    await f.sync()
    f.append(bytes(100, 2))
    const restarted = fs.restart()
    expect(restarted.readFile('/x.wal').subarray(100, 200)).toEqual(bytes(100, 2))
    const lost = restarted.crash({ tearUnsynced: false }).readFile('/x.wal')
    expect(allZero(lost.subarray(100))).toBe(true)
    expect(lost.subarray(0, 100)).toEqual(bytes(100, 1))
  })
})

describe('EncryptedFileSystem ignores preallocate', () => {
  it('writes no zeros (they would decrypt to noise): the inner file is the header and the appends', async () => {
    const inner = new MemFileSystem()
    const fs = new EncryptedFileSystem(inner, new KeyRegistry([]).withNewKey(32, 0))
    const f = fs.create('/e.wal', { preallocate: PREALLOCATE })
    f.append(bytes(100, 1))
    await f.sync()
    expect(inner.readFile('/e.wal').length).toBe(ENCRYPTION_HEADER_SIZE + 100)
    expect(f.size).toBe(100)
    await f.close()
    const r = fs.openRead('/e.wal')
    expect(r.read(0, r.size)).toEqual(bytes(100, 1))
  })
})
