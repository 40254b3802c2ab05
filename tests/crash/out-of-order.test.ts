// Crashes outside the prefix model, each built byte by byte on the in-memory file system:
// - out-of-order writeback: unsynced writes that reached the disk before earlier ones (a WAL
//   hole, a value-log write split at a page boundary with only its second piece persisted);
// - a power loss during recovery itself, at every file operation of open().
// Each must open (paranoid or not) with every acknowledged write and nothing unacknowledged.

import { describe, expect, it } from 'vitest'
import { CrashError, MemFileSystem, WRITEBACK_PAGE } from '../../base/mem-fs.js'
import { type Options, open } from '../../engine/index.js'
import { cloneFs } from '../support/clone-fs.js'

const DIR = '/db'

function newest(fs: MemFileSystem, ext: string): string {
  const names = fs.list(DIR).filter((n) => n.endsWith(ext)).sort()
  return `${DIR}/${names[names.length - 1]}`
}

/** Where the non-zero bytes of a file end (its records, before a preallocated zero tail). */
function recordsEnd(bytes: Uint8Array): number {
  let n = bytes.length
  while (n > 0 && bytes[n - 1] === 0) n--
  return n
}

/** Replaces the bytes of `path` of a crashed-and-restarted file system, durably. */
async function rewrite(fs: MemFileSystem, path: string, bytes: Uint8Array): Promise<void> {
  const f = fs.create(path)
  f.append(bytes)
  await f.sync()
  await f.close()
}

async function expectKeys(fs: MemFileSystem, options: Options, present: Record<string, string>, absent: string[]): Promise<void> {
  const db = await open(DIR, { ...options, fs })
  try {
    for (const [k, v] of Object.entries(present)) expect(db.getSync(k)?.toString(), k).toBe(v)
    for (const k of absent) expect(db.getSync(k), k).toBeUndefined()
  } finally {
    await db.close()
  }
}

describe('out-of-order writeback', () => {
  it('WAL: zeros from the last synced byte, then a later record that reached the disk first, is a torn tail', async () => {
    const mem = new MemFileSystem()
    const db = await open(DIR, { fs: mem })
    await db.put('a', 'synced', { sync: true })
    const wal = newest(mem, '.wal')
    // The WAL is preallocated (zeros past its records): offsets are where the records end.
    const synced = recordsEnd(mem.readFile(wal))
    await db.put('b', 'lost', { sync: false })
    const afterB = recordsEnd(mem.readFile(wal))
    await db.put('c', 'reached the disk first', { sync: false })
    const full = mem.readFile(wal)
    const fullEnd = recordsEnd(full)
    expect(fullEnd).toBeGreaterThan(afterB)
    const after = mem.crash({ tearUnsynced: false })
    const survived = after.readFile(wal)
    expect(recordsEnd(survived)).toBe(synced)
    expect(survived.length).toBeGreaterThan(fullEnd) // the synced zero tail is still there
    // b's write never reached the disk (zeros), c's did, inside the zero tail.
    survived.set(full.subarray(afterB, fullEnd), afterB)
    await rewrite(after, wal, survived)
    for (const paranoid of [true, false]) {
      await expectKeys(await cloneFs(after), { paranoid }, { a: 'synced' }, ['b', 'c'])
    }
  })

  it('value log: a synced batch whose one write was split, only its second piece persisted, loses only that batch', async () => {
    const mem = new MemFileSystem()
    const options = { fs: mem, sync: true }
    const db = await open(DIR, options)
    const value = (i: number, n: number) => String.fromCharCode(97 + (i % 26)).repeat(n)
    // A synced put keeps its large value inline in the WAL (engine/write-path.ts): the values go to
    // the value log unsynced, and the synced put after them syncs the value log too.
    for (let i = 0; i < 10; i++) await db.put(`acked-${i}`, value(i, 1500), { sync: false })
    await db.put('acked-sync', 'x')
    const vlog = newest(mem, '.vlog')
    let full: Uint8Array | undefined
    // Die at the value log's fsync of the synced put after the batch: the batch's one ~16.5 KB
    // write is in the page cache only.
    mem.onOperation = (op) => {
      if (op.kind === 'sync' && op.path === vlog) {
        full = mem.readFile(vlog)
        mem.crashAfter(1)
      }
    }
    const batch = Array.from({ length: 16 }, (_, i) => ({ type: 'put' as const, key: `batch-${i}`, value: value(i, 1024) }))
    await db.batch(batch, { sync: false })
    await expect(db.put('after', 'y')).rejects.toBeInstanceOf(CrashError)
    const after = mem.crash({ tearUnsynced: false })
    // The batch's write went over the file's preallocated zero tail, which the crash put back.
    const image = after.readFile(vlog)
    const synced = recordsEnd(image)
    const end = recordsEnd(full!)
    expect(end - synced).toBeGreaterThan(16_000)
    expect(image.length).toBeGreaterThanOrEqual(end)
    // The kernel split the write at a page boundary and wrote back only the second piece.
    const split = Math.ceil((synced + (end - synced) / 2) / WRITEBACK_PAGE) * WRITEBACK_PAGE
    image.set(full!.subarray(split, end), split)
    await rewrite(after, vlog, image)
    const present = { ...Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`acked-${i}`, value(i, 1500)])), 'acked-sync': 'x' }
    for (const paranoid of [true, false]) {
      await expectKeys(await cloneFs(after), { paranoid }, present, [...batch.map((b) => b.key), 'after'])
    }
  })
})

describe('a power loss during recovery', () => {
  it('at every file operation of open(), leaves a directory whose next open (paranoid) has every acknowledged write', async () => {
    // A database whose newest WAL ends in an ordinary torn tail: half of an unsynced record.
    const mem = new MemFileSystem()
    const db = await open(DIR, { fs: mem, valueThreshold: 256 })
    const present: Record<string, string> = {}
    for (let i = 0; i < 10; i++) {
      present[`k${i}`] = `${i}`.repeat(i % 2 === 0 ? 10 : 400)
      await db.put(`k${i}`, present[`k${i}`], { sync: true })
    }
    const wal = newest(mem, '.wal')
    const synced = recordsEnd(mem.readFile(wal))
    await db.put('unsynced', 'x'.repeat(300), { sync: false })
    const full = mem.readFile(wal)
    const fullEnd = recordsEnd(full)
    const torn = mem.crash({ tearUnsynced: false })
    // Half of the record reached the disk, inside the WAL's preallocated zero tail.
    const survived = torn.readFile(wal)
    expect(survived.length).toBeGreaterThan(fullEnd)
    survived.set(full.subarray(synced, synced + Math.floor((fullEnd - synced) / 2)), synced)
    await rewrite(torn, wal, survived)

    const probe = await cloneFs(torn)
    const before = probe.opCount
    await (await open(DIR, { fs: probe, valueThreshold: 256 })).close()
    const total = probe.opCount - before
    expect(total).toBeGreaterThan(10)
    const failed: string[] = []
    for (let k = 1; k <= total; k++) {
      const fs = await cloneFs(torn)
      fs.crashAfter(k)
      try {
        await (await open(DIR, { fs, valueThreshold: 256 })).close()
      } catch (err) {
        if (!(err instanceof CrashError)) throw err
      }
      for (const seed of [k, k + 1000]) {
        try {
          await expectKeys(fs.crash({ seed, keepUnsyncedNameOps: seed % 2 === 0 }), { valueThreshold: 256 }, present, ['unsynced'])
        } catch (err) {
          failed.push(`crash at op ${k}/${total} (seed ${seed}): ${(err as Error).message.split('\n')[0]}`)
        }
      }
    }
    expect(failed).toEqual([])
  })
})

describe('paranoid: false', () => {
  it('stops at the first skipped corruption: later WALs are left out, so the state is a prefix of the writes', async () => {
    const mem = new MemFileSystem()
    const db = await open(DIR, { fs: mem, memtableSize: 4096, sync: true })
    // Die as the first flush starts: the frozen memtable's WAL and the new one are both live.
    mem.onOperation = (op) => {
      if (op.kind === 'create' && op.path.endsWith('.sst')) mem.crashAfter(1)
    }
    const acked: string[] = []
    try {
      for (let i = 0; i < 100; i++) {
        await db.put(`w-${String(i).padStart(3, '0')}`, 'v'.repeat(300))
        acked.push(`w-${String(i).padStart(3, '0')}`)
      }
    } catch (err) {
      if (!(err instanceof CrashError)) throw err
    }
    const after = mem.crash({ tearUnsynced: false })
    const wals = after.list(DIR).filter((n) => n.endsWith('.wal')).map((n) => `${DIR}/${n}`)
    expect(wals.length).toBe(2)
    // Damage in the middle of the older WAL, whose records were synced.
    after.flipBit(wals[0], Math.floor(after.readFile(wals[0]).length / 2) * 8)
    const reopened = await open(DIR, { fs: after, paranoid: false })
    try {
      const present = acked.filter((k) => reopened.getSync(k) !== undefined)
      expect(present.length).toBeGreaterThan(0)
      expect(present.length).toBeLessThan(acked.length)
      // A prefix: no later write without every earlier one.
      expect(present).toEqual(acked.slice(0, present.length))
      const skipped = reopened.stats().recovery.skipped
      expect(skipped.map((s) => s.file)).toEqual(wals)
    } finally {
      await reopened.close()
    }
  })
})

describe('a kill -9, then a power loss during the recovery that followed', () => {
  it('keeps a manifest whose last edit was only in the page cache consistent with the files recovery removed', async () => {
    const mem = new MemFileSystem()
    const db = await open(DIR, { fs: mem, sync: true, l0CompactionTrigger: 100, l0SlowdownTrigger: 100, l0StopTrigger: 100 })
    const present: Record<string, string> = {}
    for (let t = 0; t < 3; t++) {
      for (let i = 0; i < 20; i++) {
        present[`t${t}-${i}`] = `value ${t} ${i}`
        await db.put(`t${t}-${i}`, present[`t${t}-${i}`])
      }
      await db.flush()
    }
    // Killed at the fsync of the compaction's manifest edit: the edit that retires the three
    // tables is in the page cache only.
    mem.onOperation = (op) => {
      if (op.kind === 'sync' && op.path.includes('MANIFEST')) mem.crashAfter(1)
    }
    await expect(db.compactRange()).rejects.toBeInstanceOf(CrashError)
    // The next process sees the cache; its recovery dies (power loss) just after its first
    // directory sync, which made durable the removals its replay of that edit did.
    const restarted = mem.restart()
    let dirSynced = false
    restarted.onOperation = (op) => {
      if (dirSynced) restarted.crashAfter(1)
      if (op.kind === 'syncDir') dirSynced = true
    }
    await expect(open(DIR, { fs: restarted })).rejects.toBeInstanceOf(CrashError)
    await expectKeys(restarted.crash({ tearUnsynced: false }), {}, present, [])
  })
})
