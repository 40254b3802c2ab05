// Crash tests on the in-memory file system: run a workload of synced writes (with flushes and
// compactions in between), crash at every file operation in turn, simulate power loss (unsynced
// bytes dropped or torn, unsynced names forgotten), reopen, and check that the database holds
// exactly the acknowledged writes, plus, at most, the one write in flight, whole or not at all.
// The workload's steps include dropPrefix, which must likewise be all there or not at all.

import { describe, expect, it, vi } from 'vitest'
import { CrashError, MemFileSystem } from '../../base/mem-fs.js'
import { type DB, type Options, open } from '../../engine/index.js'
import { Model, hex } from '../support/model.js'
import { makeRng } from '../support/rng.js'

const DIR = '/db'

type Op =
  | { type: 'write'; entries: [Uint8Array, Uint8Array | null][] }
  | { type: 'flush' }
  | { type: 'compact' }
  | { type: 'drop'; prefix: Uint8Array }

function options(fs: MemFileSystem, extra: Options = {}): Options {
  return {
    ...extra,
    fs,
    sync: true,
    memtableSize: 2048,
    blockSize: 256,
    tableTargetSize: 2048,
    levelBaseBytes: 8 * 1024,
    levelMultiplier: 4,
    l0CompactionTrigger: 2,
    l0SlowdownTrigger: 4,
    l0StopTrigger: 8,
    // About half the values (20..220 B) go to the value log, whose files rotate every 4 KiB.
    valueThreshold: 128,
    valueLogFileSize: 4096,
  }
}

function makeWorkload(seed: number, n: number): Op[] {
  const rng = makeRng(seed)
  const ops: Op[] = []
  const key = () => new TextEncoder().encode(`k${rng.int(60)}`)
  for (let i = 0; i < n; i++) {
    const r = rng()
    if (r < 0.03) ops.push({ type: 'flush' })
    else if (r < 0.05) ops.push({ type: 'compact' })
    else if (r < 0.065) ops.push({ type: 'drop', prefix: new TextEncoder().encode(`k${rng.int(6)}`) })
    else {
      const count = r < 0.25 ? 2 + rng.int(6) : 1
      const entries: [Uint8Array, Uint8Array | null][] = []
      for (let j = 0; j < count; j++) entries.push([key(), rng.chance(0.15) ? null : rng.bytes(20 + rng.int(200))])
      ops.push({ type: 'write', entries })
    }
  }
  return ops
}

function apply(model: Model, op: Op): Model {
  const next = model.clone()
  if (op.type === 'write') for (const [k, v] of op.entries) v === null ? next.del(k) : next.put(k, v)
  if (op.type === 'drop') next.dropPrefix(op.prefix)
  return next
}

async function execute(db: DB, op: Op): Promise<void> {
  if (op.type === 'flush') return db.flush()
  if (op.type === 'compact') return db.compactRange()
  if (op.type === 'drop') return db.dropPrefix(op.prefix)
  if (op.entries.length === 1) {
    const [k, v] = op.entries[0]
    return v === null ? db.del(k) : db.put(k, v)
  }
  const b = db.batch()
  for (const [k, v] of op.entries) v === null ? b.del(k) : b.put(k, v)
  return b.write()
}

interface RunResult {
  crashed: boolean
  acked: Model
  inflight: Model | undefined
}

/** Runs the workload on `fs` until it ends or the armed crash fires. */
async function runUntilCrash(fs: MemFileSystem, ops: Op[], extra: Options = {}): Promise<RunResult> {
  let acked = new Model()
  let db: DB
  try {
    db = await open(DIR, options(fs, extra))
  } catch (err) {
    if (err instanceof CrashError) return { crashed: true, acked, inflight: undefined }
    throw err
  }
  for (const op of ops) {
    const next = apply(acked, op)
    try {
      await execute(db, op)
      acked = next
    } catch (err) {
      if (err instanceof CrashError || fs.isCrashed()) return { crashed: true, acked, inflight: next }
      throw err
    }
  }
  try {
    await db.close()
  } catch (err) {
    if (err instanceof CrashError || fs.isCrashed()) return { crashed: true, acked, inflight: undefined }
    throw err
  }
  return { crashed: fs.isCrashed(), acked, inflight: undefined }
}

async function dumpDb(db: DB): Promise<string> {
  const scan = [...db.iterator()].map(([k, v]) => `${hex(k)}=${v.toString('hex')}`)
  // Point reads must agree with the scan.
  for (const line of scan) {
    const [k, v] = line.split('=')
    expect(db.getSync(Buffer.from(k, 'hex'))!.toString('hex')).toBe(v)
  }
  return scan.join('\n')
}

async function checkRecovered(fs: MemFileSystem, result: RunResult, where: string, extra: Options = {}): Promise<void> {
  const db = await open(DIR, options(fs, extra))
  try {
    const state = await dumpDb(db)
    const ok = state === result.acked.dump() || (result.inflight !== undefined && state === result.inflight.dump())
    if (!ok) {
      throw new Error(`${where}: recovered state is neither the acknowledged state nor that plus the write in flight\n` +
        `got:\n${state}\nacked:\n${result.acked.dump()}`)
    }
  } finally {
    await db.close()
  }
}

describe('power loss at every file operation', () => {
  const ops = makeWorkload(42, 160)

  it('recovers exactly the acknowledged writes at every crash point', async () => {
    const clean = new MemFileSystem()
    const kinds = new Map<string, number>()
    clean.onOperation = (op) => {
      const name = op.path.slice(op.path.lastIndexOf('/') + 1)
      const ext = name.includes('.') ? name.slice(name.lastIndexOf('.') + 1) : name.replace(/-\d+$/, '')
      kinds.set(`${op.kind} ${ext}`, (kinds.get(`${op.kind} ${ext}`) ?? 0) + 1)
    }
    expect(ops.filter((o) => o.type === 'drop').length, 'dropPrefix steps in the workload').toBeGreaterThan(1)
    const full = await runUntilCrash(clean, ops)
    expect(full.crashed).toBe(false)
    const total = clean.opCount
    // The workload must exercise every kind of durable step.
    for (const k of ['append wal', 'sync wal', 'append sst', 'sync sst', 'append MANIFEST', 'sync MANIFEST', 'rename tmp', 'syncDir db', 'append vlog', 'sync vlog', 'create vlog']) {
      expect(kinds.get(k) ?? 0, `operation "${k}"`).toBeGreaterThan(0)
    }
    let points = 0
    for (let k = 1; k <= total; k++) {
      const fs = new MemFileSystem()
      fs.crashAfter(k)
      const result = await runUntilCrash(fs, ops)
      // Background work makes the count vary by a few operations between runs.
      if (!result.crashed) continue
      const after = fs.crash({ seed: k, keepUnsyncedNameOps: k % 3 === 0 })
      await checkRecovered(after, result, `crash point ${k}/${total}`)
      points++
    }
    console.log(`power-loss: ${points} crash points explored (${total} file operations in the workload)`)
    expect(points).toBeGreaterThan(300)
  }, 300_000)

  it('recovers after a second crash during recovery', async () => {
    const rng = makeRng(99)
    const clean = new MemFileSystem()
    await runUntilCrash(clean, ops)
    const total = clean.opCount
    let checked = 0
    for (let i = 0; i < 60; i++) {
      const k = 1 + rng.int(total)
      const fs = new MemFileSystem()
      fs.crashAfter(k)
      const result = await runUntilCrash(fs, ops)
      const after = fs.crash({ seed: k })
      // Crash again somewhere inside the reopen (replay, flush, new manifest, cleanup).
      after.crashAfter(1 + rng.int(12))
      try {
        const db = await open(DIR, options(after))
        await db.close()
      } catch (err) {
        if (!(err instanceof CrashError)) throw err
      }
      await checkRecovered(after.crash({ seed: k + 1 }), result, `crash point ${k}, then during recovery`)
      checked++
    }
    expect(checked).toBe(60)
  }, 120_000)
})

describe('synced writes after unsynced ones', () => {
  it('a synced write makes every earlier write durable, large values included', async () => {
    for (let seed = 1; seed <= 20; seed++) {
      const fs = new MemFileSystem()
      const db = await open(DIR, { fs, valueThreshold: 64 })
      await db.put('big-1', 'b'.repeat(500), { sync: false })
      await db.put('small-1', 's', { sync: false })
      await db.put('big-2', 'c'.repeat(700), { sync: false })
      // No large value in this group: its WAL fsync must still come after a value-log fsync.
      await db.put('small-2', 't', { sync: true })
      const after = fs.crash({ seed })
      const reopened = await open(DIR, { fs: after, valueThreshold: 64 })
      expect(reopened.getSync('small-2')?.toString(), `seed ${seed}`).toBe('t')
      expect(reopened.getSync('big-2')?.toString(), `seed ${seed}`).toBe('c'.repeat(700))
      expect(reopened.getSync('big-1')?.toString(), `seed ${seed}`).toBe('b'.repeat(500))
      await reopened.close()
    }
  })
})

describe('power loss with encryption at rest', () => {
  const encryptionKey = new Uint8Array(16).map((_, i) => 0x3c ^ i)

  /** Crashes at every file operation of `ops` run with `extra`; returns the crash points checked. */
  async function everyCrashPoint(ops: Op[], extra: Options): Promise<number> {
    const clean = new MemFileSystem()
    expect((await runUntilCrash(clean, ops, extra)).crashed).toBe(false)
    const total = clean.opCount
    let points = 0
    for (let k = 1; k <= total; k++) {
      const fs = new MemFileSystem()
      fs.crashAfter(k)
      const result = await runUntilCrash(fs, ops, extra)
      if (!result.crashed) continue
      await checkRecovered(fs.crash({ seed: k, keepUnsyncedNameOps: k % 3 === 0 }), result, `crash point ${k}/${total}`, extra)
      points++
    }
    return points
  }

  it('recovers exactly the acknowledged writes at every crash point (CI size: 70 ops)', async () => {
    const points = await everyCrashPoint(makeWorkload(42, 70), { encryptionKey })
    console.log(`power-loss, encrypted: ${points} crash points explored`)
    expect(points).toBeGreaterThan(150)
  }, 300_000)

  it('... with a data-key rotation at nearly every new file (registry rewrites crash too)', async () => {
    // Each Date.now() call advances the clock 1 ms and keys expire after 1 ms: every file created
    // starts a rotation, so crash points fall inside the registry's write → fsync → rename → fsync.
    let clock = 0
    vi.spyOn(Date, 'now').mockImplementation(() => ++clock)
    try {
      const registryWrites = { count: 0 }
      const probe = new MemFileSystem()
      probe.onOperation = (op) => {
        if (op.kind === 'rename' && op.path.endsWith('KEYREGISTRY.tmp')) registryWrites.count++
      }
      await runUntilCrash(probe, makeWorkload(7, 40), { encryptionKey, encryptionKeyRotation: 1 })
      expect(registryWrites.count).toBeGreaterThan(3)
      const points = await everyCrashPoint(makeWorkload(7, 40), { encryptionKey, encryptionKeyRotation: 1 })
      console.log(`power-loss, encrypted with rotation: ${points} crash points explored, ${registryWrites.count} registry rewrites`)
      expect(points).toBeGreaterThan(100)
    } finally {
      vi.restoreAllMocks()
    }
  }, 300_000)
})
