// The crash model of MemFileSystem: what survives a power loss, injected crashes, damage helpers, locks.
// Plain file behaviour (shared with RealFileSystem) is in tests/fs/fs-suite.test.ts.

import { describe, expect, it } from 'vitest'
import { InvalidArgumentError, LockError, NotFoundError } from './errors.js'
import { CrashError, MemFileSystem, type MemOperation, WRITEBACK_PAGE } from './mem-fs.js'

const bytes = (...b: number[]): Uint8Array => new Uint8Array(b)
const range = (n: number, from = 0): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (from + i) & 0xff)

/** A file system with /db holding `name` whose name is durable and whose content is `synced` (synced). */
async function withSyncedFile(name: string, synced: Uint8Array): Promise<MemFileSystem> {
  const fs = new MemFileSystem()
  fs.mkdir('/db')
  const w = fs.create(`/db/${name}`)
  w.append(synced)
  await w.sync()
  await w.close()
  await fs.syncDir('/db')
  return fs
}

describe('MemFileSystem bytes after power loss', () => {
  it('keeps synced bytes and drops unsynced ones when tearing is off', async () => {
    const fs = await withSyncedFile('a', bytes(1, 2, 3))
    const w = fs.openAppend('/db/a')
    w.append(bytes(4, 5, 6))
    expect(fs.readFile('/db/a')).toEqual(bytes(1, 2, 3, 4, 5, 6))
    const after = fs.crash({ tearUnsynced: false })
    expect(after.readFile('/db/a')).toEqual(bytes(1, 2, 3))
  })

  it('keeps every byte appended before a sync', async () => {
    const fs = await withSyncedFile('a', bytes())
    const w = fs.openAppend('/db/a')
    for (let i = 0; i < 100; i++) w.append(bytes(i))
    await w.sync()
    for (let seed = 1; seed <= 20; seed++) expect(fs.crash({ seed }).readFile('/db/a')).toEqual(range(100))
  })

  it('tears keep a prefix of the unsynced tail, sometimes garbling its last bytes but never synced ones', async () => {
    const fs = await withSyncedFile('a', range(10))
    const w = fs.openAppend('/db/a')
    w.append(range(100, 10))
    const lengths = new Set<number>()
    let garbled = 0
    for (let seed = 1; seed <= 400; seed++) {
      const got = fs.crash({ seed }).readFile('/db/a')
      expect(got.length).toBeGreaterThanOrEqual(10)
      expect(got.length).toBeLessThanOrEqual(110)
      expect(got.subarray(0, 10)).toEqual(range(10))
      lengths.add(got.length)
      const want = range(got.length)
      let firstBad = -1
      for (let i = 0; i < got.length; i++) if (got[i] !== want[i] && firstBad < 0) firstBad = i
      if (firstBad >= 0) {
        garbled++
        // Garbage only in the last 8 kept bytes.
        expect(firstBad).toBeGreaterThanOrEqual(got.length - 8)
      }
    }
    expect(lengths.has(10)).toBe(true) // nothing unsynced kept
    expect(lengths.size).toBeGreaterThan(50)
    expect(garbled).toBeGreaterThan(20)
    expect(garbled).toBeLessThan(200)
  })

  it('is deterministic for a seed and differs across seeds', async () => {
    const fs = await withSyncedFile('a', range(5))
    const w = fs.openAppend('/db/a')
    w.append(range(1000))
    fs.create('/db/b').append(range(7))
    const a = fs.crash({ seed: 42, keepUnsyncedNameOps: true }).snapshotFiles()
    const b = fs.crash({ seed: 42, keepUnsyncedNameOps: true }).snapshotFiles()
    expect(a).toEqual(b)
    const outcomes = new Set<string>()
    for (let seed = 1; seed <= 10; seed++) outcomes.add(JSON.stringify([...fs.crash({ seed }).snapshotFiles()]))
    expect(outcomes.size).toBeGreaterThan(1)
  })

  it('truncate is pessimistic: a crash before the next sync keeps at most the cut length', async () => {
    const fs = await withSyncedFile('a', range(10))
    fs.truncate('/db/a', 4)
    const w = fs.openAppend('/db/a')
    w.append(bytes(99, 98))
    expect(fs.readFile('/db/a')).toEqual(bytes(0, 1, 2, 3, 99, 98))
    expect(fs.crash({ tearUnsynced: false }).readFile('/db/a')).toEqual(range(4))
    await w.sync()
    expect(fs.crash().readFile('/db/a')).toEqual(bytes(0, 1, 2, 3, 99, 98))
  })

  it('create over an existing file truncates it to 0 until synced', async () => {
    const fs = await withSyncedFile('a', range(10))
    fs.create('/db/a').append(bytes(7))
    expect(fs.crash({ tearUnsynced: false }).readFile('/db/a')).toEqual(bytes())
  })

  it('copies only what it keeps: the new instance is independent of the old', async () => {
    const fs = await withSyncedFile('a', range(3))
    const after = fs.crash()
    after.openAppend('/db/a').append(bytes(9))
    fs.flipBit('/db/a', 0)
    expect(after.readFile('/db/a')).toEqual(bytes(0, 1, 2, 9))
    expect(fs.readFile('/db/a')).toEqual(bytes(1, 1, 2))
  })
})

describe('MemFileSystem names after power loss', () => {
  it('forgets an unsynced create, keeps it after syncDir', async () => {
    const fs = new MemFileSystem()
    fs.mkdir('/db')
    const w = fs.create('/db/a')
    w.append(bytes(1))
    await w.sync()
    expect(fs.crash().exists('/db/a')).toBe(false)
    expect(fs.crash().list('/db')).toEqual([])
    await fs.syncDir('/db')
    expect(fs.crash().readFile('/db/a')).toEqual(bytes(1))
  })

  it('forgets an unsynced rename: the old name and its bytes come back', async () => {
    const fs = await withSyncedFile('old', bytes(1, 2))
    fs.rename('/db/old', '/db/new')
    expect(fs.list('/db')).toEqual(['new'])
    expect(fs.crash().list('/db')).toEqual(['old'])
    await fs.syncDir('/db')
    const after = fs.crash()
    expect(after.list('/db')).toEqual(['new'])
    expect(after.readFile('/db/new')).toEqual(bytes(1, 2))
  })

  it('an unsynced rename over an existing file leaves the replaced file after a crash', async () => {
    const fs = await withSyncedFile('CURRENT', bytes(1))
    const w = fs.create('/db/tmp')
    w.append(bytes(2))
    await w.sync()
    fs.rename('/db/tmp', '/db/CURRENT')
    expect(fs.crash().readFile('/db/CURRENT')).toEqual(bytes(1))
    await fs.syncDir('/db')
    expect(fs.crash().readFile('/db/CURRENT')).toEqual(bytes(2))
    expect(fs.crash().exists('/db/tmp')).toBe(false)
  })

  it('forgets an unsynced remove', async () => {
    const fs = await withSyncedFile('a', bytes(5))
    fs.remove('/db/a')
    expect(fs.exists('/db/a')).toBe(false)
    expect(fs.crash().readFile('/db/a')).toEqual(bytes(5))
    await fs.syncDir('/db')
    expect(fs.crash().exists('/db/a')).toBe(false)
  })

  it('syncDir of one directory leaves the other directories unsynced', async () => {
    const fs = new MemFileSystem()
    fs.mkdir('/x')
    fs.mkdir('/y')
    fs.create('/x/a')
    fs.create('/y/b')
    await fs.syncDir('/x')
    const after = fs.crash()
    expect(after.exists('/x/a')).toBe(true)
    expect(after.exists('/y/b')).toBe(false)
    expect(after.exists('/y')).toBe(true) // mkdir is durable at once
  })

  it('a cross-directory rename becomes durable side by side, with each directory', async () => {
    const fs = new MemFileSystem()
    fs.mkdir('/x')
    fs.mkdir('/y')
    fs.create('/x/a')
    await fs.syncDir('/x')
    fs.rename('/x/a', '/y/b')
    await fs.syncDir('/y')
    let after = fs.crash()
    expect(after.list('/x')).toEqual(['a'])
    expect(after.list('/y')).toEqual(['b'])
    await fs.syncDir('/x')
    after = fs.crash()
    expect(after.list('/x')).toEqual([])
    expect(after.list('/y')).toEqual(['b'])
  })

  it('after syncing both directories, an older create does not resurrect a moved-and-removed file', async () => {
    const fs = new MemFileSystem()
    fs.mkdir('/x')
    fs.mkdir('/y')
    fs.create('/x/a')
    fs.rename('/x/a', '/y/b')
    fs.remove('/y/b')
    await fs.syncDir('/y')
    await fs.syncDir('/x')
    const after = fs.crash()
    expect(after.list('/x')).toEqual([])
    expect(after.list('/y')).toEqual([])
  })

  it('keepUnsyncedNameOps applies an ordered prefix of each directory queue', async () => {
    const fs = new MemFileSystem()
    fs.mkdir('/db')
    for (const name of ['a', 'b', 'c', 'd']) fs.create(`/db/${name}`)
    const seen = new Set<string>()
    for (let seed = 1; seed <= 100; seed++) {
      const names = fs.crash({ seed, keepUnsyncedNameOps: true }).list('/db')
      // A prefix in creation order: if c survived, a and b did too.
      expect(names).toEqual(['a', 'b', 'c', 'd'].slice(0, names.length))
      seen.add(names.join(''))
    }
    expect(seen).toEqual(new Set(['', 'a', 'ab', 'abc', 'abcd']))
  })

  it('a crashed-and-restarted instance is fresh: uncrashed, no locks, opCount 0', async () => {
    const fs = await withSyncedFile('a', bytes(1))
    fs.lock('/db/LOCK')
    fs.crashAfter(1)
    expect(() => fs.create('/db/b')).toThrow(CrashError)
    const after = fs.crash()
    expect(after.isCrashed()).toBe(false)
    expect(after.opCount).toBe(0)
    expect(() => after.lock('/db/LOCK')).not.toThrow()
  })
})

describe('MemFileSystem crashAfter and onOperation', () => {
  it('counts mutating operations only', async () => {
    const fs = new MemFileSystem()
    fs.mkdir('/db') // 1
    const w = fs.create('/db/a') // 2
    w.append(bytes(1)) // 3
    await w.sync() // 4
    fs.readFile('/db/a')
    fs.openRead('/db/a').read(0, 1)
    fs.list('/db')
    fs.exists('/db/a')
    fs.rename('/db/a', '/db/b') // 5
    fs.truncate('/db/b', 0) // 6
    fs.openAppend('/db/b') // 7
    fs.remove('/db/b') // 8
    await fs.syncDir('/db') // 9
    expect(fs.opCount).toBe(9)
  })

  it('throws at exactly the n-th operation, without effect, and on every call after', async () => {
    const fs = await withSyncedFile('a', bytes())
    const base = fs.opCount
    const w = fs.openAppend('/db/a')
    fs.crashAfter(3)
    w.append(bytes(1)) // 1
    w.append(bytes(2)) // 2
    expect(() => w.append(bytes(3))).toThrow(CrashError) // 3: no effect
    expect(fs.isCrashed()).toBe(true)
    expect(fs.opCount).toBe(base + 3)
    expect(() => fs.readFile('/db/a')).toThrow(CrashError)
    expect(() => fs.exists('/db/a')).toThrow(CrashError)
    expect(() => fs.list('/db')).toThrow(CrashError)
    await expect(w.sync()).rejects.toThrow(CrashError)
    await expect(fs.syncDir('/db')).rejects.toThrow(CrashError)
    expect(fs.snapshotFiles().get('/db/a')).toEqual(bytes(1, 2))
  })

  it('a crash at a sync leaves the bytes unsynced', async () => {
    const fs = await withSyncedFile('a', bytes(1))
    const w = fs.openAppend('/db/a')
    w.append(bytes(2))
    fs.crashAfter(1)
    await expect(w.sync()).rejects.toThrow(CrashError)
    expect(fs.crash({ tearUnsynced: false }).readFile('/db/a')).toEqual(bytes(1))
  })

  it('onOperation sees each op before it runs and can crash that very op', async () => {
    const fs = new MemFileSystem()
    const seen: MemOperation[] = []
    fs.onOperation = (op) => {
      seen.push(op)
      if (op.kind === 'rename') fs.crashAfter(1)
    }
    fs.mkdir('/db')
    fs.create('/db/a')
    expect(() => fs.rename('/db/a', '/db/b')).toThrow(CrashError)
    expect(seen).toEqual([
      { kind: 'mkdir', path: '/db', count: 1 },
      { kind: 'create', path: '/db/a', count: 2 },
      { kind: 'rename', path: '/db/a', to: '/db/b', count: 3 },
    ])
    expect(fs.snapshotFiles().has('/db/a')).toBe(true)
    expect(fs.snapshotFiles().has('/db/b')).toBe(false)
  })

  it('rejects a bad count', () => {
    expect(() => new MemFileSystem().crashAfter(0)).toThrow(InvalidArgumentError)
  })
})

describe('MemFileSystem damage helpers', () => {
  it('flipBit inverts one bit, durably', async () => {
    const fs = await withSyncedFile('a', bytes(0, 0, 0))
    fs.flipBit('/db/a', 9)
    expect(fs.readFile('/db/a')).toEqual(bytes(0, 2, 0))
    expect(fs.crash().readFile('/db/a')).toEqual(bytes(0, 2, 0))
    expect(() => fs.flipBit('/db/a', 24)).toThrow(InvalidArgumentError)
    expect(() => fs.flipBit('/db/missing', 0)).toThrow(NotFoundError)
  })

  it('truncateFile cuts current and durable bytes', async () => {
    const fs = await withSyncedFile('a', range(10))
    fs.truncateFile('/db/a', 6)
    expect(fs.readFile('/db/a')).toEqual(range(6))
    expect(fs.crash().readFile('/db/a')).toEqual(range(6))
    expect(() => fs.truncateFile('/db/a', 7)).toThrow(InvalidArgumentError)
  })

  it('snapshotFiles copies the current bytes of every file', async () => {
    const fs = await withSyncedFile('a', bytes(1))
    fs.mkdir('/db/sub')
    fs.create('/db/sub/b').append(bytes(2))
    const snap = fs.snapshotFiles()
    expect([...snap.keys()]).toEqual(['/db/a', '/db/sub/b'])
    snap.get('/db/a')![0] = 9
    expect(fs.readFile('/db/a')).toEqual(bytes(1))
  })
})

describe('MemFileSystem locks and paths', () => {
  it('a second lock on a path throws LockError until release', () => {
    const fs = new MemFileSystem()
    fs.mkdir('/db')
    const lock = fs.lock('/db/LOCK')
    expect(() => fs.lock('/db/LOCK')).toThrow(LockError)
    expect(() => fs.lock('/db/./LOCK')).toThrow(LockError)
    expect(fs.list('/db')).toEqual(['LOCK'])
    lock.release()
    lock.release() // idempotent
    expect(fs.list('/db')).toEqual(['LOCK']) // stays, as RealFileSystem's does
    fs.lock('/db/LOCK').release()
  })

  it('normalizes paths', () => {
    const fs = new MemFileSystem()
    fs.mkdir('/db/')
    fs.create('/db//x/../a').append(bytes(1))
    expect(fs.readFile('/db/a')).toEqual(bytes(1))
    expect(fs.list('/db/')).toEqual(['a'])
  })

  it('needs the parent directory to exist, like a real file system', () => {
    const fs = new MemFileSystem()
    expect(() => fs.create('/nope/a')).toThrow(NotFoundError)
    fs.create('relative').append(bytes(1))
    expect(fs.list('.')).toEqual(['relative'])
  })

  it('appends many small records quickly', async () => {
    const fs = new MemFileSystem()
    fs.mkdir('/db')
    const w = fs.create('/db/log')
    const rec = range(30)
    const start = performance.now()
    for (let i = 0; i < 100_000; i++) w.append(rec)
    await w.sync()
    expect(fs.readFile('/db/log').length).toBe(3_000_000)
    expect(performance.now() - start).toBeLessThan(2000)
  })
})

describe("MemFileSystem writeback: 'any' (out-of-order writeback)", () => {
  // Three unsynced writes after 100 synced bytes: 5,000 B (two pages and a bit), 10 B, 9,000 B.
  async function written(): Promise<{ fs: MemFileSystem; bytes: Uint8Array; writes: [number, number][] }> {
    const fs = new MemFileSystem()
    fs.mkdir('/db')
    const w = fs.create('/db/f')
    w.append(new Uint8Array(100).fill(1))
    await w.sync()
    await fs.syncDir('/db')
    const writes: [number, number][] = []
    for (const [n, b] of [[5000, 2], [10, 3], [9000, 4]]) {
      writes.push([w.size, w.size + n])
      w.append(Uint8Array.from({ length: n }, (_, i) => (b * 31 + i) & 0xff))
    }
    return { fs, bytes: fs.readFile('/db/f'), writes }
  }

  it('keeps the synced bytes and any subset of page pieces of the unsynced writes, zeros elsewhere', async () => {
    const { fs, bytes } = await written()
    const shapes = new Set<string>()
    for (let seed = 1; seed <= 300; seed++) {
      const got = fs.crash({ seed, writeback: 'any' }).readFile('/db/f')
      expect(got.length).toBeGreaterThanOrEqual(100)
      expect(got.length).toBeLessThanOrEqual(bytes.length)
      expect(Buffer.from(got.subarray(0, 100)).equals(Buffer.from(bytes.subarray(0, 100)))).toBe(true)
      // Every piece is all there or all zeros; a piece never crosses a page boundary.
      let shape = ''
      const cuts = [100, WRITEBACK_PAGE, 5100, 5110, 2 * WRITEBACK_PAGE, 3 * WRITEBACK_PAGE, 4 * WRITEBACK_PAGE, bytes.length]
      for (let i = 0; i + 1 < cuts.length; i++) {
        const [from, to] = [cuts[i], Math.min(cuts[i + 1], got.length)]
        if (from >= to) {
          shape += '-'
          continue
        }
        const same = Buffer.from(got.subarray(from, to)).equals(Buffer.from(bytes.subarray(from, to)))
        const zero = got.subarray(from, to).every((b) => b === 0)
        expect(same || zero, `seed ${seed} piece ${from}..${to}`).toBe(true)
        shape += same ? 'k' : '0'
      }
      shapes.add(shape)
    }
    // Holes before kept pieces happen: not only prefixes.
    expect([...shapes].some((s) => /0.*k/.test(s))).toBe(true)
    expect(shapes.size).toBeGreaterThan(10)
  })

  it('is deterministic by seed, and forgets nothing that was synced or truncated away', async () => {
    const { fs } = await written()
    expect(fs.crash({ seed: 9, writeback: 'any' }).readFile('/db/f')).toEqual(fs.crash({ seed: 9, writeback: 'any' }).readFile('/db/f'))
    fs.truncate('/db/f', 2000)
    for (let seed = 1; seed <= 50; seed++) expect(fs.crash({ seed, writeback: 'any' }).readFile('/db/f').length).toBeLessThanOrEqual(2000)
  })
})

describe('MemFileSystem restart (kill -9 without power loss)', () => {
  it('shows every byte and name, unsynced ones too, and a later power loss still loses the unsynced ones', async () => {
    const fs = new MemFileSystem()
    fs.mkdir('/db')
    const lock = fs.lock('/db/LOCK')
    const w = fs.create('/db/a')
    w.append(new Uint8Array([1, 2, 3]))
    await w.sync()
    await fs.syncDir('/db')
    w.append(new Uint8Array([4, 5]))
    fs.create('/db/b').append(new Uint8Array([9]))
    fs.crashAfter(1)
    expect(() => fs.remove('/db/a')).toThrow(CrashError)
    const next = fs.restart()
    expect(next.isCrashed()).toBe(false)
    expect([...next.readFile('/db/a')]).toEqual([1, 2, 3, 4, 5])
    expect([...next.readFile('/db/b')]).toEqual([9])
    next.lock('/db/LOCK').release() // the dead process's lock is gone
    const after = next.crash({ tearUnsynced: false })
    expect([...after.readFile('/db/a')]).toEqual([1, 2, 3])
    expect(after.exists('/db/b')).toBe(false)
    // The restarted instance is independent of the dead one.
    next.openAppend('/db/a').append(new Uint8Array([6]))
    expect(() => fs.readFile('/db/a')).toThrow(CrashError)
    void lock
  })
})
