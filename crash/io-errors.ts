// The harness's "I/O errors" section: EIO or ENOSPC injected at one write, fsync, create, rename
// or directory fsync of a seeded workload on the in-memory file system, under Linux's fsync model
// (base/io-fault-fs.ts: a failed fsync's dirty bytes are gone, a later fsync reports success).
// Each point runs the workload until the engine fails, checks that reads still serve every
// acknowledged write and that a later write is refused with FailedError, closes, drops unsynced
// bytes (a power loss) and reopens: nothing acknowledged may be lost, nothing phantom appear, and
// the database must open. Never touches a real disk.

import { IOFaultFileSystem, type IOErrno, IO_FAULT_KINDS, type IOFaultKind } from '../base/io-fault-fs.js'
import { MemFileSystem } from '../base/mem-fs.js'
import { mulberry32 } from '../base/random.js'
import { type DB, open } from '../engine/index.js'
import { Oracle, type Verdict, addVerdict, emptyVerdict, observe, verdictLines } from './oracle.js'
import { type Op, crashOptions, execute, opAt } from './workload.js'

const DIR = '/db'

export interface IOErrorOptions {
  seed: number
  /** Injection points to run in all. */
  points: number
  /** Ops per workload. Default 80. */
  opsPerWorkload?: number
  /** At most this many points from one workload (a sample spread over the kinds). Default 60. */
  pointsPerWorkload?: number
  onProgress?: (done: number, total: number) => void
}

export interface IOErrorResult {
  points: number
  workloads: number
  /** Points by kind of the failed operation. */
  byKind: Record<IOFaultKind, number>
  /** Points where a later op or write was acknowledged instead of refused with FailedError. */
  acceptedAfterFailure: number
  /** Points where a read, close or backup failed after the fault. */
  readFailures: number
  /** Reopens after the power loss that failed. */
  failedOpens: number
  /** Lost / phantom counted after the reopen (reads before it go to readFailures). */
  verdict: Verdict
  elapsedMs: number
}

export interface Point {
  kind: IOFaultKind
  errno: IOErrno
  at: number
}

/** The probe write: a value no op of the workload writes, so it is phantom if it survives. */
const PROBE = Buffer.from('probe-after-failure')

/**
 * Replays one injection point of workload `seed` (the seed and point a report names) into `result`;
 * false when the point was never reached.
 */
export async function runPoint(seed: number, ops: Op[], point: Point, result: IOErrorResult, problem: (p: string) => void): Promise<boolean> {
  const mem = new MemFileSystem()
  const fs = new IOFaultFileSystem(mem, point)
  const options = crashOptions(true)
  const where = `workload seed ${seed}, ${point.errno} at ${point.kind} #${point.at}`
  const acked: Op[] = []
  const inflight: Op[] = []
  let accepted = 0
  let db: DB | undefined
  try {
    db = await open(DIR, { ...options, fs })
    // The workload goes on after the first failure, as a careless caller would: every later op
    // must be refused, and any that is acknowledged must then survive the power loss.
    for (const op of ops) {
      try {
        await execute(db, op)
        acked.push(op)
        if (inflight.length > 0) accepted++
      } catch {
        inflight.push(op)
      }
    }
  } catch (err) {
    if (fs.injected === undefined) throw err
    // The fault hit open() itself: nothing was acknowledged; the reopen below must still work.
  }
  let closed = db === undefined
  if (fs.injected === undefined && db !== undefined) {
    // The fault may hit close() itself (its final fsyncs), which then reports it.
    closed = true
    await db.close().catch((err: unknown) => {
      if (fs.injected === undefined) throw err
    })
  }
  if (fs.injected === undefined) return false
  result.points++
  result.byKind[point.kind]++
  if (accepted > 0) {
    result.acceptedAfterFailure++
    problem(`${where}: ${accepted} ops acknowledged after the failure`)
  }
  if (db !== undefined && !closed) {
    const oracle = new Oracle(seed)
    for (const op of acked) oracle.apply(op)
    try {
      const v = oracle.check(observe(db), inflight, ops.length)
      if (v.lost + v.phantom + v.iteratorMismatches > 0) {
        result.readFailures++
        problem(`${where}: reads after the failure disagree: ${v.problems[0]}`)
      }
    } catch (err) {
      result.readFailures++
      problem(`${where}: a read after the failure threw: ${(err as Error).message}`)
    }
    // Once an op has failed the failure is recorded; a fault in background work after the last
    // op may still be on its way (close() waits for it), so only then is the probe skipped.
    if (inflight.length > 0 && accepted === 0) {
      const probe = await db.put('k0000', PROBE, { sync: true }).then(() => undefined, (e: unknown) => e)
      if ((probe as { code?: string } | undefined)?.code !== 'SETT_FAILED') {
        result.acceptedAfterFailure++
        problem(`${where}: a write after the failure was ${probe === undefined ? 'accepted' : `refused with ${String(probe)}`}`)
      }
    }
    try {
      await db.close()
    } catch (err) {
      result.readFailures++
      problem(`${where}: close() after the failure threw: ${(err as Error).message}`)
    }
  }
  const after = fs.powerLoss({ seed: (seed ^ point.at) >>> 0, tearUnsynced: true })
  let reopened: DB | undefined
  try {
    reopened = await open(DIR, { ...options, fs: after })
    const oracle = new Oracle(seed)
    for (const op of acked) oracle.apply(op)
    const v = oracle.check(observe(reopened), inflight, ops.length)
    if (v.problems.length > 0) v.problems = v.problems.map((p) => `${where}, after power loss: ${p}`)
    for (const p of v.problems) problem(p)
    v.problems = []
    addVerdict(result.verdict, v)
  } catch (err) {
    result.failedOpens++
    problem(`${where}: reopen after power loss failed: ${(err as Error).message}`)
  } finally {
    await reopened?.close().catch(() => {})
  }
  return true
}

export const emptyIOErrorResult = (): IOErrorResult => ({
  points: 0, workloads: 0, byKind: { write: 0, sync: 0, create: 0, rename: 0, syncDir: 0 },
  acceptedAfterFailure: 0, readFailures: 0, failedOpens: 0, verdict: emptyVerdict(), elapsedMs: 0,
})

export async function runIOErrors(o: IOErrorOptions): Promise<IOErrorResult> {
  const started = performance.now()
  const perWorkload = o.opsPerWorkload ?? 80
  const rnd = mulberry32(o.seed ^ 0x10e7)
  const result = emptyIOErrorResult()
  const problem = (p: string) => {
    if (result.verdict.problems.length < 20) result.verdict.problems.push(p)
  }
  while (result.points < o.points) {
    const w = result.workloads++
    const seed = (o.seed + Math.imul(w, 1000003)) >>> 0
    const ops = Array.from({ length: perWorkload }, (_, i) => opAt(seed, i))
    // A clean run counts the operations of each kind: the points to inject at.
    const clean = new IOFaultFileSystem(new MemFileSystem())
    const db = await open(DIR, { ...crashOptions(true), fs: clean })
    for (const op of ops) await execute(db, op)
    await db.close()
    const all: Point[] = []
    for (const kind of IO_FAULT_KINDS) {
      for (let at = 1; at <= clean.counts[kind]; at++) all.push({ kind, at, errno: rnd() < 0.5 ? 'EIO' : 'ENOSPC' })
    }
    // Every kind gets its share even where writes outnumber renames a hundredfold.
    const left = Math.min(o.points - result.points, o.pointsPerWorkload ?? 60)
    const chosen = all.length <= left ? all : sampleByKind(all, left, rnd)
    for (const point of chosen) {
      await runPoint(seed, ops, point, result, problem)
      o.onProgress?.(Math.min(result.points, o.points), o.points)
      if (result.points >= o.points) break
    }
    if (w > 4 * o.points + 10) throw new Error('io errors: no injection point fires')
  }
  result.elapsedMs = performance.now() - started
  return result
}

/** `n` points, spread evenly over the kinds, random within each. */
function sampleByKind(all: Point[], n: number, rnd: () => number): Point[] {
  const byKind = new Map<IOFaultKind, Point[]>()
  for (const p of all) {
    let list = byKind.get(p.kind)
    if (list === undefined) byKind.set(p.kind, (list = []))
    list.push(p)
  }
  const out: Point[] = []
  const kinds = [...byKind.values()]
  for (let round = 0; out.length < n && kinds.some((k) => k.length > 0); round++) {
    for (const list of kinds) {
      if (list.length === 0 || out.length >= n) continue
      out.push(list.splice(Math.floor(rnd() * list.length), 1)[0])
    }
  }
  return out
}

/** Why the section failed; empty when it passed. */
export function ioErrorFailures(r: IOErrorResult): string[] {
  const out: string[] = []
  if (r.verdict.lost > 0) out.push(`I/O errors: ${r.verdict.lost} acknowledged writes lost`)
  if (r.verdict.phantom > 0) out.push(`I/O errors: ${r.verdict.phantom} phantom values`)
  if (r.verdict.tornBatches > 0) out.push(`I/O errors: ${r.verdict.tornBatches} torn batches`)
  if (r.verdict.iteratorMismatches > 0) out.push(`I/O errors: ${r.verdict.iteratorMismatches} iterator/get disagreements`)
  if (r.failedOpens > 0) out.push(`I/O errors: ${r.failedOpens} reopens failed`)
  if (r.acceptedAfterFailure > 0) out.push(`I/O errors: ${r.acceptedAfterFailure} writes accepted after a failure`)
  if (r.readFailures > 0) out.push(`I/O errors: ${r.readFailures} reads or closes failed after a failure`)
  return out
}

export function formatIOErrors(r: IOErrorResult): string[] {
  const kinds = IO_FAULT_KINDS.map((k) => `${k} ${r.byKind[k]}`).join(', ')
  return [
    '',
    `I/O errors (EIO/ENOSPC, Linux fsync model, then power loss)   ${(r.elapsedMs / 1000).toFixed(1)} s`,
    `  injection points            ${r.points} over ${r.workloads} workloads (${kinds})`,
    ...verdictLines(r.verdict),
    `  failed opens                ${r.failedOpens}`,
    `  writes accepted after fault ${r.acceptedAfterFailure}`,
    `  reads/closes failed         ${r.readFailures}`,
  ]
}
