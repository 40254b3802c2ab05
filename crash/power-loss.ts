// Simulated power loss on the in-memory file system: runs a seeded workload, crashes after the
// k-th file operation for every k (or a random sample of k once the budget is short), drops or
// tears unsynced bytes and forgets unsynced names, reopens and asks the oracle. With sync: true the
// database must hold every acknowledged write; with sync: false it must equal the state after
// some prefix of the acknowledged ops (no holes).

import { CrashError, MemFileSystem } from '../base/mem-fs.js'
import { mulberry32 } from '../base/random.js'
import { type DB, type FileSystem, open } from '../engine/index.js'
import { Oracle, type Observation, type Verdict, addVerdict, emptyVerdict, isPrefixState, observe } from './oracle.js'
import { type Op, crashOptions, execute, opAt } from './workload.js'

const DIR = '/db'

export interface PowerLossOptions {
  seed: number
  /** Crash points to explore in all. */
  points: number
  /** Ops per workload; each workload is explored at every file operation while the budget lasts. */
  opsPerWorkload?: number
  /** Every n-th workload runs with sync: false and gets the prefix check (0: never). Default 4. */
  noSyncEvery?: number
  /** Encryption at rest on, with the harness's fixed key. */
  encrypted?: boolean
  /** How unsynced writes survive each crash (base/mem-fs.ts CrashOptions.writeback). Default 'prefix'. */
  writeback?: 'prefix' | 'any'
  /** Wraps the file system the engine sees: how a test injects a broken build. */
  wrapFs?: (mem: MemFileSystem) => FileSystem
  onProgress?: (done: number, total: number) => void
}

export interface PowerLossResult {
  points: number
  workloads: number
  /** Crash points explored exhaustively (every k of a workload) and by random sample. */
  exhaustive: number
  sampled: number
  /** Points whose database ran with sync: false and had to equal a prefix. */
  prefixPoints: number
  prefixFailures: number
  /** Reopen or read failed (any error): the data is not there to be checked. */
  unrecoverable: number
  verdict: Verdict
  elapsedMs: number
}

export interface Run {
  crashed: boolean
  acked: Op[]
  inflight: Op[]
}

export async function runUntilCrash(fs: FileSystem, mem: MemFileSystem, ops: Op[], sync: boolean, encrypted: boolean): Promise<Run> {
  const acked: Op[] = []
  const dead = (err: unknown) => err instanceof CrashError || mem.isCrashed()
  let db: DB
  try {
    db = await open(DIR, { ...crashOptions(sync, encrypted), fs })
  } catch (err) {
    if (dead(err)) return { crashed: true, acked, inflight: [] }
    throw err
  }
  for (const op of ops) {
    try {
      await execute(db, op)
      acked.push(op)
    } catch (err) {
      if (dead(err)) return { crashed: true, acked, inflight: [op] }
      throw err
    }
  }
  try {
    await db.close()
  } catch (err) {
    if (dead(err)) return { crashed: true, acked, inflight: [] }
    throw err
  }
  return { crashed: mem.isCrashed(), acked, inflight: [] }
}

export async function runPowerLoss(o: PowerLossOptions): Promise<PowerLossResult> {
  const started = performance.now()
  const perWorkload = o.opsPerWorkload ?? 120
  const noSyncEvery = o.noSyncEvery ?? 4
  const encrypted = o.encrypted ?? false
  const wrap = o.wrapFs ?? ((mem: MemFileSystem) => mem)
  const rnd = mulberry32(o.seed)
  const result: PowerLossResult = {
    points: 0, workloads: 0, exhaustive: 0, sampled: 0, prefixPoints: 0, prefixFailures: 0, unrecoverable: 0,
    verdict: emptyVerdict(), elapsedMs: 0,
  }
  const problem = (p: string) => {
    if (result.verdict.problems.length < 20) result.verdict.problems.push(p)
  }
  while (result.points < o.points) {
    const w = result.workloads++
    const seed = (o.seed + Math.imul(w, 1000003)) >>> 0
    const sync = noSyncEvery === 0 || w % noSyncEvery !== noSyncEvery - 1
    const ops = Array.from({ length: perWorkload }, (_, i) => opAt(seed, i))
    const clean = new MemFileSystem()
    const full = await runUntilCrash(wrap(clean), clean, ops, sync, encrypted)
    if (full.crashed) throw new Error(`power-loss: workload ${seed} crashed without an injected crash`)
    const total = clean.opCount
    const left = o.points - result.points
    let ks: number[]
    if (total <= left) {
      ks = Array.from({ length: total }, (_, i) => i + 1)
    } else {
      const pick = new Set<number>()
      while (pick.size < left) pick.add(1 + Math.floor(rnd() * total))
      ks = [...pick].sort((a, b) => a - b)
    }
    for (const k of ks) {
      const mem = new MemFileSystem()
      mem.crashAfter(k)
      const run = await runUntilCrash(wrap(mem), mem, ops, sync, encrypted)
      // Background work shifts the count by a few operations between runs: such a k is a no-op.
      if (!run.crashed) continue
      const where = `workload seed ${seed} (sync: ${sync}), crash after file op ${k}/${total}`
      const after = mem.crash({ seed: k ^ seed, tearUnsynced: true, keepUnsyncedNameOps: k % 3 === 0, writeback: o.writeback })
      result.points++
      if (total <= left) result.exhaustive++
      else result.sampled++
      const obs = await reopenAndObserve(wrap(after), sync, encrypted)
      if (obs instanceof Error) {
        result.unrecoverable++
        problem(`${where}: reopen or read failed: ${obs.message}`)
        continue
      }
      judgeRecovered(result, { seed, obs, run, sync, issued: perWorkload, where })
      o.onProgress?.(result.points, o.points)
      if (result.points >= o.points) break
    }
  }
  result.elapsedMs = performance.now() - started
  return result
}

/** How many of the acknowledged ops a completed flush made durable, whatever their `sync`. */
export function durablePrefix(acked: Op[]): number {
  for (let i = acked.length - 1; i >= 0; i--) if (acked[i].type === 'flush') return i + 1
  return 0
}

/** Opens the directory after a crash and reads everything; the error when either fails. */
export async function reopenAndObserve(fs: FileSystem, sync: boolean, encrypted: boolean): Promise<Observation | Error> {
  let db: DB | undefined
  try {
    db = await open(DIR, { ...crashOptions(sync, encrypted), fs })
    return observe(db)
  } catch (err) {
    return err as Error
  } finally {
    await db?.close().catch(() => {})
  }
}

export interface Judged {
  verdict: Verdict
  prefixPoints: number
  prefixFailures: number
}

/**
 * Judges what a recovered database shows against the run that crashed, into `into`: with sync,
 * every acknowledged write (the ops in flight whole or absent); without, the state after a prefix
 * of the writes that reaches the last completed flush, and still no phantom or iterator mismatch.
 */
export function judgeRecovered(into: Judged, c: { seed: number; obs: Observation; run: Run; sync: boolean; issued: number; where: string }): void {
  const { seed, obs, run, where } = c
  if (c.sync) {
    const oracle = new Oracle(seed)
    for (const op of run.acked) oracle.apply(op)
    const v = oracle.check(obs, run.inflight, c.issued)
    v.problems = v.problems.map((p) => `${where}: ${p}`)
    addVerdict(into.verdict, v)
    return
  }
  into.prefixPoints++
  const v = new Oracle(seed).check(obs, [...run.acked, ...run.inflight], c.issued)
  v.lost = 0
  v.tornBatches = 0
  v.checked = 0
  v.problems = v.problems.filter((p) => !p.startsWith('lost') && !p.startsWith('torn')).map((p) => `${where}: ${p}`)
  addVerdict(into.verdict, v)
  if (isPrefixState(seed, obs, [...run.acked, ...run.inflight], durablePrefix(run.acked))) {
    into.verdict.checked += obs.state.size
  } else {
    into.prefixFailures++
    if (into.verdict.problems.length < 20) into.verdict.problems.push(`${where}: the state is not that after any prefix of the acknowledged writes reaching the last flush`)
  }
}
