// Kill cycles: start the writer child on a real directory, SIGKILL it at a seeded moment (a
// random delay, or just after it begins a flush, compaction or value-log GC, or while it opens),
// reopen the database here, and check it against the acknowledged ops. The database carries over
// from cycle to cycle, so each child also recovers what the previous one left.

import { type ChildProcess, spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { mulberry32 } from '../base/random.js'
import { open } from '../engine/index.js'
import { Oracle, type Verdict, addVerdict, emptyVerdict, observe } from './oracle.js'
import { type Op, crashOptions, opAt } from './workload.js'

export type KillPhase = 'open' | 'write' | 'flush' | 'compact' | 'gc'

export interface KillOptions {
  /** The database directory; it should not exist yet (the run creates it). */
  dir: string
  seed: number
  cycles: number
  sync: boolean
  /** Encryption at rest on (the child and the parent open with the harness's fixed key). */
  encrypted?: boolean
  /** Longest random delay before a 'write' kill, in ms. */
  maxDelayMs?: number
  onCycle?: (done: number, total: number) => void
}

export interface KillResult {
  cycles: number
  /** What the child was doing when killed. */
  killsByPhase: Record<KillPhase, number>
  ackedOps: number
  ackedWrites: number
  /** Background work the children reported, summed over cycles. */
  flushes: number
  compactions: number
  gcFiles: number
  unrecoverable: number
  childFailures: number
  reopenMs: number[]
  verdict: Verdict
  elapsedMs: number
}

const here = dirname(fileURLToPath(import.meta.url))
const fromSource = import.meta.url.endsWith('.ts')

// From sources (tsx, vitest) the child runs through tsx's loader; the built package runs its .js.
function spawnChild(args: string[]): ChildProcess {
  const script = join(here, fromSource ? 'writer-child.ts' : 'writer-child.js')
  const node = fromSource ? ['--import', 'tsx', script] : [script]
  return spawn(process.execPath, [...node, ...args], { cwd: join(here, '..'), stdio: ['ignore', 'pipe', 'pipe'] })
}

interface CycleOutcome {
  lastAck: number
  phase: KillPhase
  ready: boolean
  exitedAlone: boolean
  error: string
  counters: [number, number, number]
}

function runCycle(dir: string, seed: number, firstOp: number, sync: boolean, encrypted: boolean, rnd: () => number, maxDelayMs: number): Promise<CycleOutcome> {
  const r = rnd()
  const plan: KillPhase = r < 0.1 ? 'open' : r < 0.5 ? 'write' : r < 0.65 ? 'flush' : r < 0.8 ? 'compact' : 'gc'
  const shortDelay = rnd() < 0.4 ? -1 : Math.floor(rnd() * 3)
  const writeDelay = 1 + Math.floor(rnd() * maxDelayMs)
  const child = spawnChild([dir, String(seed), String(firstOp), sync ? '1' : '0', encrypted ? '1' : '0'])
  const out: CycleOutcome = { lastAck: firstOp - 1, phase: 'open', ready: false, exitedAlone: true, error: '', counters: [0, 0, 0] }
  let opening = false
  let inMaintenance: KillPhase | undefined
  let killed = false
  let stderr = ''
  const kill = () => {
    if (killed) return
    killed = true
    out.exitedAlone = false
    out.phase = !out.ready ? 'open' : inMaintenance ?? 'write'
    child.kill('SIGKILL')
  }
  const killSoon = (ms: number) => (ms < 0 ? kill() : setTimeout(kill, ms))
  // Whatever the plan, a cycle ends: a maintenance op that does not come in time is killed mid-write.
  const fallback = setTimeout(kill, 4000)
  let buffered = ''
  const onLine = (line: string) => {
    const [tag, a, b, c] = line.split(' ')
    if (killed) {
      // Lines the child wrote before dying still count: they were acknowledged before the kill.
      if (tag === 'a') out.lastAck = Number(a)
      return
    }
    if (tag === 'o') {
      opening = true
      if (plan === 'open') killSoon(shortDelay)
    } else if (tag === 'r') {
      out.ready = true
      if (plan === 'write') killSoon(writeDelay)
    } else if (tag === 'b') {
      inMaintenance = b as KillPhase
      if (plan === b) killSoon(shortDelay)
    } else if (tag === 'a') {
      out.lastAck = Number(a)
      inMaintenance = undefined
    } else if (tag === 's') {
      out.counters = [Number(a), Number(b), Number(c)]
    } else if (tag === 'e') {
      out.error = line.slice(2)
    }
  }
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('latin1')
    let nl: number
    while ((nl = buffered.indexOf('\n')) >= 0) {
      onLine(buffered.slice(0, nl))
      buffered = buffered.slice(nl + 1)
    }
  })
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  void opening
  return new Promise((resolve) => {
    // 'close' fires after the exit and after stdout has been read to its end.
    child.on('close', () => {
      clearTimeout(fallback)
      if (out.exitedAlone && out.error === '') out.error = `child exited by itself: ${stderr.slice(-2000)}`
      resolve(out)
    })
  })
}

export async function runKillCycles(o: KillOptions): Promise<KillResult> {
  const started = performance.now()
  const rnd = mulberry32(o.seed ^ 0x5bd1e995)
  const oracle = new Oracle(o.seed)
  const result: KillResult = {
    cycles: 0, killsByPhase: { open: 0, write: 0, flush: 0, compact: 0, gc: 0 }, ackedOps: 0, ackedWrites: 0,
    flushes: 0, compactions: 0, gcFiles: 0, unrecoverable: 0, childFailures: 0, reopenMs: [], verdict: emptyVerdict(), elapsedMs: 0,
  }
  const problem = (p: string) => {
    if (result.verdict.problems.length < 20) result.verdict.problems.push(p)
  }
  let nextOp = 0
  for (let c = 0; c < o.cycles; c++) {
    const cycle = await runCycle(o.dir, o.seed, nextOp, o.sync, o.encrypted ?? false, rnd, o.maxDelayMs ?? 150)
    result.cycles++
    if (cycle.exitedAlone || cycle.error !== '') {
      result.childFailures++
      problem(`cycle ${c}: writer child failed: ${cycle.error}`)
    } else {
      result.killsByPhase[cycle.phase]++
    }
    result.flushes += cycle.counters[0]
    result.compactions += cycle.counters[1]
    result.gcFiles += cycle.counters[2]
    for (let id = nextOp; id <= cycle.lastAck; id++) oracle.apply(opAt(o.seed, id))
    // Sequential writer: at most the one op after the last acknowledgement was in flight.
    const inflight: Op[] = cycle.ready ? [opAt(o.seed, cycle.lastAck + 1)] : []
    const where = `cycle ${c} (seed ${o.seed}, killed in ${cycle.phase} after op ${cycle.lastAck})`
    const t0 = performance.now()
    let db
    try {
      db = await open(o.dir, crashOptions(o.sync, o.encrypted))
    } catch (err) {
      result.unrecoverable++
      problem(`${where}: reopen failed: ${(err as Error).message}`)
      break
    }
    result.reopenMs.push(performance.now() - t0)
    try {
      const obs = observe(db)
      const v = oracle.check(obs, inflight, cycle.lastAck + 2)
      v.problems = v.problems.map((p) => `${where}: ${p}`)
      addVerdict(result.verdict, v)
      oracle.settle(obs, inflight)
    } catch (err) {
      result.unrecoverable++
      problem(`${where}: read failed: ${(err as Error).message}`)
    } finally {
      await db.close()
    }
    // The in-flight op's id is never reused, so every value stays unique to one op.
    nextOp = cycle.lastAck + 2
    o.onCycle?.(c + 1, o.cycles)
  }
  result.ackedOps = oracle.ackedOps
  result.ackedWrites = oracle.ackedWrites
  result.elapsedMs = performance.now() - started
  return result
}
