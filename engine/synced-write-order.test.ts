// A synced group of more than SYNCED_INLINE_MAX bytes (smaller ones keep their large values inline
// in the WAL: synced-inline.test.ts) fsyncs the value log and the WAL at once (write-path.ts), so
// the WAL's record can
// reach the disk before its values do. What that asks of the rest of the engine: the put is
// acknowledged only once both are durable; recovery takes a record whose values did not survive
// for the unsynced tail it is, unless a later WAL record claims the record synced (then the value
// log lost synced bytes: damage); and after a failed value-log fsync the WAL is closed without
// the marker that would claim such a record.

import { describe, expect, it } from 'vitest'
import { CorruptionError } from '../base/errors.js'
import type { WritableFile } from '../base/fs.js'
import { SyncHookFileSystem } from '../tests/support/sync-hook-fs.js'
import { scanValueLog } from './inspect.js'
import { FailedError, IOFaultFileSystem, MemFileSystem, type Options, open } from './index.js'
import { SYNCED_INLINE_MAX } from './write-path.js'

const DIR = '/db'
/** A value whose synced put is a group too large to keep inline: it goes to the value log. */
const big = (tag: string) => Buffer.alloc(SYNCED_INLINE_MAX + 4000, tag)
const base: Options = { valueThreshold: 1024, autoValueLogGC: 0 }

/** Lets the event loop turn until `done()`; fails after a few seconds instead of hanging. */
async function until(done: () => boolean): Promise<void> {
  for (const t = performance.now(); !done(); await new Promise((r) => setImmediate(r))) {
    if (performance.now() - t > 3000) throw new Error('timed out waiting')
  }
}

/** Holds each sync of a file whose path matches until released; logs when syncs start and end. */
class HeldSyncs extends SyncHookFileSystem {
  readonly log: string[] = []
  hold: ((path: string) => boolean) | undefined
  readonly held: (() => void)[] = []

  protected override async onSync(f: WritableFile, sync: () => Promise<void>): Promise<void> {
    const kind = f.path.endsWith('.vlog') ? 'vlog' : f.path.endsWith('.wal') ? 'wal' : 'other'
    this.log.push(`${kind} start`)
    if (this.hold?.(f.path)) await new Promise<void>((r) => this.held.push(r))
    await sync()
    this.log.push(`${kind} end`)
  }
}

describe('synced writes with large values, in groups too large to keep inline', () => {
  it('fsync the value log and the WAL at once, and resolve only when both are done', async () => {
    const mem = new MemFileSystem()
    const fs = new HeldSyncs(mem)
    const db = await open(DIR, { ...base, fs })
    await db.put('first', big('f'), { sync: true }) // creates the value-log file (its own syncs)
    fs.log.length = 0
    fs.hold = (p) => p.endsWith('.vlog')
    let acked = false
    const put = db.put('k', big('a'), { sync: true }).then(() => (acked = true))
    await until(() => fs.log.includes('wal end'))
    // The WAL's fsync ran and finished while the value log's was still running: no ack yet.
    expect(fs.log).toEqual(['vlog start', 'wal start', 'wal end'])
    expect(acked).toBe(false)
    fs.hold = undefined
    fs.held.forEach((release) => release())
    await put
    expect(fs.log).toEqual(['vlog start', 'wal start', 'wal end', 'vlog end'])
    await db.close()
  })

  it('a power loss after the WAL fsync but before the value log one: the put was never acked, the open stops there and reports no damage', async () => {
    const mem = new MemFileSystem()
    const fs = new HeldSyncs(mem)
    const db = await open(DIR, { ...base, fs })
    await db.put('a', big('a'), { sync: true })
    await db.put('small', 'x', { sync: true })
    fs.log.length = 0
    fs.hold = (p) => p.endsWith('.vlog')
    let acked = false
    void db.put('b', big('b'), { sync: true }).then(() => (acked = true))
    await until(() => fs.log.includes('wal end'))
    expect(fs.log).toEqual(['vlog start', 'wal start', 'wal end'])
    expect(acked).toBe(false)
    const after = mem.crash({ tearUnsynced: false })
    const re = await open(DIR, { ...base, fs: after })
    expect(re.getSync('a')?.equals(big('a'))).toBe(true)
    expect(re.getSync('small')?.toString()).toBe('x')
    expect(re.getSync('b')).toBeUndefined()
    const rec = re.stats().recovery
    expect(rec.tornTail).toBeDefined()
    expect(rec.skipped).toEqual([])
    await re.close()
  })

  it('a WAL record that a later one claims synced, whose values the value log lost, is damage, not a torn tail', async () => {
    const mem = new MemFileSystem()
    const db = await open(DIR, { ...base, fs: mem })
    await db.put('a', big('a'), { sync: true })
    await db.put('b', big('b'), { sync: true })
    await db.put('c', 'small, in the WAL only', { sync: true }) // claims the WAL synced through b's record
    const vlog = mem.list(DIR).find((n) => n.endsWith('.vlog'))!
    const path = `${DIR}/${vlog}`
    // Inside b's entry: 2000 bytes before the entries' end (the file also holds a preallocated zero tail).
    const cutAt = scanValueLog(path, mem.readFile(path)).validLength - 2000
    // Kill -9, no close (a close would add markers): the next process sees every byte written.
    const restarted = mem.restart()
    restarted.truncateFile(path, cutAt)
    const err = await open(DIR, { ...base, fs: restarted, paranoid: true }).then(() => undefined, (e: unknown) => e)
    expect(err).toBeInstanceOf(CorruptionError)
    expect((err as CorruptionError).file).toBe(path)
    expect((err as CorruptionError).message).toMatch(/says it was synced/)
    void db
  })

  it('a failed value-log fsync beside a WAL fsync that succeeded: the put is refused, and the WAL closes without claiming it', async () => {
    const mem = new MemFileSystem()
    mem.mkdir(DIR)
    const fs = new IOFaultFileSystem(mem)
    const db = await open(DIR, { ...base, fs })
    await db.put('a', big('a'), { sync: true })
    fs.arm({ kind: 'sync', errno: 'EIO', at: 1, path: (p) => p.endsWith('.vlog') })
    await expect(db.put('b', big('b'), { sync: true })).rejects.toThrow(/EIO/)
    await expect(db.put('c', 'x', { sync: true })).rejects.toBeInstanceOf(FailedError)
    await db.close()
    // The failed fsync's bytes are gone; the WAL's record of b is durable. A marker claiming it
    // would make the next open call the value log damaged.
    const re = await open(DIR, { ...base, fs: fs.powerLoss({ seed: 3 }) })
    expect(re.getSync('a')?.equals(big('a'))).toBe(true)
    expect(re.getSync('b')).toBeUndefined()
    expect(re.stats().recovery.skipped).toEqual([])
    await re.close()
  })

  it('a failed value-log write: the synced put is refused before its WAL record is written, and the engine fails', async () => {
    const mem = new MemFileSystem()
    mem.mkdir(DIR)
    const fs = new IOFaultFileSystem(mem)
    const db = await open(DIR, { ...base, fs })
    await db.put('first', big('f'), { sync: true })
    fs.arm({ kind: 'write', errno: 'EIO', at: 1, path: (p) => p.endsWith('.vlog') })
    await expect(db.put('k', big('k'), { sync: true })).rejects.toThrow(/EIO/)
    await expect(db.put('c', 'x', { sync: true })).rejects.toBeInstanceOf(FailedError)
    expect(db.getSync('k')).toBeUndefined()
    await db.close()
    const re = await open(DIR, { ...base, fs: fs.powerLoss({ seed: 5 }) })
    expect(re.getSync('first')?.equals(big('f'))).toBe(true)
    expect(re.getSync('k')).toBeUndefined()
    expect(re.getSync('c')).toBeUndefined()
    expect(re.stats().recovery.skipped).toEqual([])
    await re.close()
  })
})
