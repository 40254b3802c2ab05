// Power loss during recovery, repeatedly: a seeded workload is stopped at a random file operation
// by a power loss, or by a kill -9 with the machine up (the next process sees the page cache, whose
// unsynced bytes a later power loss still takes); then open() itself is crashed by a power loss at
// each of its file operations in turn,
// and the open after that at a random one of its own, once, twice or three times in a row (each
// crash keeps a random subset or prefix of the unsynced writes); then a clean open must hold
// every acknowledged write (sync: true) or a prefix of the writes reaching at least the last
// completed flush (sync: false), with no phantom and no torn batch. Open must be idempotent.

import { CrashError, type CrashOptions, MemFileSystem } from '../base/mem-fs.js'
import { mulberry32 } from '../base/random.js'
import { open } from '../engine/index.js'
import { type Verdict, emptyVerdict } from './oracle.js'
import { judgeRecovered, reopenAndObserve, runUntilCrash } from './power-loss.js'
import { crashOptions, opAt } from './workload.js'

const DIR = '/db'

export interface RecoveryCrashOptions {
  seed: number
  /** Crash sequences to run in all (each: 1 to 3 crashes inside open(), then a clean open). */
  points: number
  /** Ops per workload before the first power loss. Default 80. */
  opsPerWorkload?: number
  encrypted?: boolean
  onProgress?: (done: number, total: number) => void
}

export interface RecoveryCrashResult {
  points: number
  workloads: number
  /** Sequences by how many crashes hit open() in a row before the clean open. */
  byDepth: [number, number, number]
  /** Sequences whose workload was stopped by a kill -9 (the rest: by a power loss). */
  afterKill: number
  /** Opens that were meant to crash but finished first (background work shifts the count). */
  opensThatFinished: number
  /** Clean opens (or reads after them) that failed: the directory did not recover. */
  failedOpens: number
  prefixPoints: number
  prefixFailures: number
  verdict: Verdict
  elapsedMs: number
}

/** The mix of crash models a sequence draws from: prefix with torn sectors, or any subset of pages. */
function crashModel(rnd: () => number): CrashOptions {
  return { seed: Math.floor(rnd() * 2 ** 31), tearUnsynced: true, keepUnsyncedNameOps: rnd() < 0.3, writeback: rnd() < 0.5 ? 'any' : 'prefix' }
}

/**
 * Opens the directory with a crash at its n-th file operation: 'crashed' when the crash fired,
 * 'finished' when open and close came first, or the error an open that failed by itself threw.
 */
async function openCrashingAt(fs: MemFileSystem, n: number, sync: boolean, encrypted: boolean): Promise<'crashed' | 'finished' | Error> {
  fs.crashAfter(n)
  try {
    const db = await open(DIR, { ...crashOptions(sync, encrypted), fs })
    // Finished before the crash point: a clean close takes the rest of the countdown, or not.
    await db.close()
  } catch (err) {
    if (!(err instanceof CrashError) && !fs.isCrashed()) return err as Error
  }
  return fs.isCrashed() ? 'crashed' : 'finished'
}

/** File operations a clean open() of a copy of `image` performs (the close not counted). */
async function opsOfOpen(image: MemFileSystem, sync: boolean, encrypted: boolean): Promise<number> {
  const copy = image.restart()
  const db = await open(DIR, { ...crashOptions(sync, encrypted), fs: copy })
  const n = copy.opCount
  await db.close()
  return n
}

export async function runRecoveryCrashes(o: RecoveryCrashOptions): Promise<RecoveryCrashResult> {
  const started = performance.now()
  const perWorkload = o.opsPerWorkload ?? 80
  const encrypted = o.encrypted ?? false
  const rnd = mulberry32(o.seed ^ 0x5eed)
  const result: RecoveryCrashResult = {
    points: 0, workloads: 0, byDepth: [0, 0, 0], afterKill: 0, opensThatFinished: 0, failedOpens: 0, prefixPoints: 0, prefixFailures: 0,
    verdict: emptyVerdict(), elapsedMs: 0,
  }
  const problem = (p: string) => {
    if (result.verdict.problems.length < 20) result.verdict.problems.push(p)
  }
  while (result.points < o.points) {
    const w = result.workloads++
    const seed = (o.seed + Math.imul(w, 2654435761)) >>> 0
    const sync = w % 3 !== 2
    const ops = Array.from({ length: perWorkload }, (_, i) => opAt(seed, i))
    // The first power loss: somewhere in the second half of the workload, so there is data.
    const probe = new MemFileSystem()
    await runUntilCrash(probe, probe, ops, sync, encrypted)
    const mem = new MemFileSystem()
    mem.crashAfter(Math.max(1, Math.floor(probe.opCount * (0.5 + rnd() * 0.5))))
    const run = await runUntilCrash(mem, mem, ops, sync, encrypted)
    if (!run.crashed) continue
    const killed = w % 2 === 1
    const image = killed ? mem.restart() : mem.crash(crashModel(rnd))
    let total: number
    try {
      total = await opsOfOpen(image, sync, encrypted)
    } catch (err) {
      // Not even the first open, uncrashed, recovers: a failure of the power-loss kind, counted here too.
      result.points++
      result.failedOpens++
      problem(`workload seed ${seed} (sync: ${sync}): the open after the first power loss failed: ${(err as Error).message}`)
      continue
    }
    for (let k = 1; k <= total && result.points < o.points; k++) {
      const depth = 1 + ((k + w) % 3)
      const where = `workload seed ${seed} (sync: ${sync}, ${killed ? 'killed' : 'power loss'}), open crashed at op ${k}/${total}`
      let fs = image.restart()
      let crashes = 0
      let at = k
      let failed: Error | undefined
      for (let d = 0; d < depth; d++) {
        const outcome = await openCrashingAt(fs, at, sync, encrypted)
        if (outcome instanceof Error) {
          failed = outcome
          break
        }
        if (outcome === 'finished') {
          // Open and close finished before the crash point: a clean shutdown, and a copy of the
          // directory without the armed countdown goes on.
          result.opensThatFinished++
          fs = fs.restart()
          break
        }
        crashes++
        fs = fs.crash(crashModel(rnd))
        at = 1 + Math.floor(rnd() * total)
      }
      if (crashes === 0) continue
      result.points++
      result.byDepth[crashes - 1]++
      if (killed) result.afterKill++
      if (failed !== undefined) {
        result.failedOpens++
        problem(`${where}, after ${crashes} crash(es) in a row: the next open failed: ${failed.message}`)
        continue
      }
      const obs = await reopenAndObserve(fs, sync, encrypted)
      if (obs instanceof Error) {
        result.failedOpens++
        problem(`${where}, ${crashes} crash(es) in a row: the clean open failed: ${obs.message}`)
        continue
      }
      judgeRecovered(result, { seed, obs, run, sync, issued: perWorkload, where: `${where}, ${crashes} crash(es)` })
      o.onProgress?.(result.points, o.points)
    }
  }
  result.elapsedMs = performance.now() - started
  return result
}

export function recoveryCrashFailures(r: RecoveryCrashResult): string[] {
  const out: string[] = []
  if (r.verdict.lost > 0) out.push(`recovery crashes: ${r.verdict.lost} acknowledged writes lost`)
  if (r.verdict.phantom > 0) out.push(`recovery crashes: ${r.verdict.phantom} phantom values`)
  if (r.verdict.tornBatches > 0) out.push(`recovery crashes: ${r.verdict.tornBatches} torn batches`)
  if (r.verdict.iteratorMismatches > 0) out.push(`recovery crashes: ${r.verdict.iteratorMismatches} iterator/get disagreements`)
  if (r.prefixFailures > 0) out.push(`recovery crashes: ${r.prefixFailures} sync:false states that are no prefix of the writes`)
  if (r.failedOpens > 0) out.push(`recovery crashes: ${r.failedOpens} opens failed`)
  return out
}

export function formatRecoveryCrashes(r: RecoveryCrashResult): string[] {
  const [one, two, three] = r.byDepth
  return [
    `power loss during recovery (open() crashed at each file operation, 1–3 times in a row)  ${(r.elapsedMs / 1000).toFixed(1)} s`,
    `  crash sequences             ${r.points} over ${r.workloads} workloads: ${one} single, ${two} double, ${three} triple`,
    `  workload stopped by         ${r.points - r.afterKill} power losses, ${r.afterKill} kill -9s (page cache kept)`,
    `  sync:false prefix checks    ${r.prefixPoints} points, ${r.prefixFailures} not a prefix`,
    `  acknowledged writes checked ${r.verdict.checked}`,
    `  lost                        ${r.verdict.lost}`,
    `  phantom                     ${r.verdict.phantom}`,
    `  torn batches                ${r.verdict.tornBatches}`,
    `  iterator/get disagreements  ${r.verdict.iteratorMismatches}`,
    `  failed opens                ${r.failedOpens}`,
  ]
}
