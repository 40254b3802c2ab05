// Read-only opens on the real file system: not one byte of the directory changes (every file
// hashed before and after, a torn WAL tail included), unflushed WAL data is visible, every write
// path throws ReadOnlyError, and the shared lock keeps writers and readers apart across
// processes, with dead holders never blocking.

import { createHash } from 'node:crypto'
import * as nodeFs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { killChild, startLockChild } from '../tests/support/spawn-lock-child.js'
import { LockError, MemFileSystem, ReadOnlyError, open } from './index.js'

const OPTIONS = { compactionWorker: false, valueThreshold: 64 }

/** name → sha256 of every file in `dir`. */
function hashes(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const name of nodeFs.readdirSync(dir).sort()) {
    out[name] = createHash('sha256').update(nodeFs.readFileSync(path.join(dir, name))).digest('hex')
  }
  return out
}

describe('read-only open', () => {
  let dir: string

  /** Tables, a value log, and a WAL holding writes no table has, with a torn tail after them. */
  beforeEach(async () => {
    dir = nodeFs.mkdtempSync(path.join(os.tmpdir(), 'sett-ro-'))
    const db = await open(dir, OPTIONS)
    for (let i = 0; i < 100; i++) await db.put(`k${String(i).padStart(3, '0')}`, `v${i}`)
    await db.put('large', 'L'.repeat(500))
    await db.flush()
    await db.put('only-in-wal', 'w')
    await db.del('k000')
    await db.close()
    const wal = nodeFs.readdirSync(dir).filter((n) => n.endsWith('.wal')).sort().at(-1)!
    nodeFs.appendFileSync(path.join(dir, wal), Buffer.from([7, 0, 0, 0, 99, 1, 2]))
  })
  afterEach(() => nodeFs.rmSync(dir, { recursive: true, force: true }))

  it('changes no byte on disk, sees the WAL, and refuses every write', async () => {
    const before = hashes(dir)
    const db = await open(dir, { ...OPTIONS, readOnly: true })
    expect(db.readOnly).toBe(true)
    expect(db.getSync('only-in-wal')?.toString()).toBe('w')
    expect(db.getSync('k000')).toBeUndefined()
    expect(db.getSync('large')?.toString()).toBe('L'.repeat(500))
    expect([...db.iterator({ keysOnly: true })].length).toBe(101)
    expect(db.stats().recovery.tornTail).toBeDefined()
    const refused: [string, () => unknown][] = [
      ['put', () => db.put('a', 'b')], ['del', () => db.del('a')], ['batch', () => db.batch([{ type: 'del', key: 'a' }])],
      ['chained batch', () => db.batch()], ['flush', () => db.flush()], ['compactRange', () => db.compactRange()],
      ['runValueLogGC', () => db.runValueLogGC()], ['load', () => db.load('/nonexistent')],
    ]
    for (const [name, call] of refused) {
      const err = await Promise.resolve().then(call).then(() => undefined, (e: unknown) => e)
      expect(err, name).toBeInstanceOf(ReadOnlyError)
      expect((err as ReadOnlyError).code).toBe('SETT_READ_ONLY')
    }
    // Reading is allowed, a backup too (written outside the directory).
    const out = path.join(os.tmpdir(), `sett-ro-backup-${process.pid}`)
    try {
      expect((await db.backup(out)).records).toBe(101)
    } finally {
      nodeFs.rmSync(out, { force: true })
    }
    expect(hashes(dir)).toEqual(before) // the shared lock is an OS lock: no file of ours while open
    await db.close()
    expect(hashes(dir)).toEqual(before)
  })

  it('shares the directory with other read-only opens and keeps writers out, in both directions', async () => {
    const r1 = await open(dir, { ...OPTIONS, readOnly: true })
    const r2 = await open(dir, { ...OPTIONS, readOnly: true })
    await expect(open(dir, OPTIONS)).rejects.toThrow(LockError)
    await r1.close()
    await expect(open(dir, OPTIONS)).rejects.toThrow(/read-only/)
    await r2.close()
    const writer = await open(dir, OPTIONS)
    await expect(open(dir, { ...OPTIONS, readOnly: true })).rejects.toThrow(LockError)
    await writer.close()
  })

  it('across processes: a live reader blocks a writer and a live writer a reader; dead ones do not', async () => {
    const reader = startLockChild(['hold', dir, 'reader'])
    try {
      expect((await reader.report).held).toBe(true)
      await expect(open(dir, OPTIONS)).rejects.toThrow(/another process, open read-only/)
      const r = await open(dir, { ...OPTIONS, readOnly: true }) // readers share
      await r.close()
      await killChild(reader.process, 'SIGKILL')
      const w = await open(dir, OPTIONS) // a reader that died does not count
      await w.close()
    } finally {
      await killChild(reader.process)
    }

    const writer = startLockChild(['hold', dir, 'writer'])
    try {
      const { pid } = await writer.report
      await expect(open(dir, { ...OPTIONS, readOnly: true })).rejects.toThrow(new RegExp(`process ${pid}, open for writing`))
      await killChild(writer.process, 'SIGKILL')
      const before = hashes(dir) // LOCK still holds the dead writer's PID: readers ignore it
      const r = await open(dir, { ...OPTIONS, readOnly: true })
      expect(r.getSync('held-by')?.toString()).toBe(String(pid))
      await r.close()
      expect(hashes(dir)).toEqual(before)
    } finally {
      await killChild(writer.process)
    }
  })

  it('never creates a database, and refuses createIfMissing with readOnly', async () => {
    const missing = path.join(dir, 'missing')
    await expect(open(missing, { ...OPTIONS, readOnly: true })).rejects.toMatchObject({ code: 'SETT_NOT_FOUND' })
    expect(nodeFs.existsSync(missing)).toBe(false)
    await expect(open(dir, { ...OPTIONS, readOnly: true, createIfMissing: true })).rejects.toMatchObject({ code: 'SETT_INVALID_ARGUMENT' })
  })
})

describe('read-only open on the in-memory file system', () => {
  it('writes nothing, and shares the lock only with other read-only handles', async () => {
    const fs = new MemFileSystem()
    const db = await open('/db', { fs, memtableSize: 4096 })
    for (let i = 0; i < 300; i++) await db.put(`k${i}`, `v${i}`)
    await db.close()
    const opsBefore = fs.opCount
    const files = fs.snapshotFiles()
    const r1 = await open('/db', { fs, readOnly: true })
    const r2 = await open('/db', { fs, readOnly: true })
    expect(r2.getSync('k299')?.toString()).toBe('v299')
    expect(fs.opCount).toBe(opsBefore)
    await expect(open('/db', { fs, createIfMissing: false })).rejects.toThrow(LockError)
    await r1.close()
    await r2.close()
    expect(fs.opCount).toBe(opsBefore)
    expect(fs.snapshotFiles()).toEqual(files)
    const w = await open('/db', { fs })
    await expect(open('/db', { fs, readOnly: true })).rejects.toThrow(LockError)
    await w.close()
  })
})
