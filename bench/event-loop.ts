// Event-loop health and write throughput with flushes and compactions in the worker thread against
// the same work done inline on the main thread, in one run.
//
//   npm run bench:event-loop                      fillrandom of 0.25 GiB per mode (100 B values)
//   npm run bench:event-loop -- --gib 1           the issue's 1 GiB
//   npm run bench:event-loop -- --throughput      fillrandom + overwrite, 100 B and 1 KiB, worker vs inline
//        [--keys 1000000,200000] [--repeat 3]     keys per value size; medians of --repeat runs
//
// Event-loop mode: perf_hooks.monitorEventLoopDelay samples every 10 ms, and each figure includes
// that interval (an idle loop reads 10 ms). The machine's own noise is measured in the same run: a
// busy loop without a database that yields every 4 ms, as Sett's write path does. The L0 table
// count is sampled every 100 ms; after the fill, compactRange() and each level against its target.
// On Linux, "run-queue wait" is how long the main thread was ready to run but had no CPU
// (/proc schedstat): delay that comes from the machine's load, not from work Sett did on the thread.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { type DB, open } from '../engine/index.js'
import { KEY_SIZE, fillRandom, levelShape } from './harness/fill.js'
import { median } from './harness/metrics.js'

const { values: args } = parseArgs({
  options: {
    gib: { type: 'string', default: '0.25' },
    throughput: { type: 'boolean', default: false },
    keys: { type: 'string', default: '1000000,200000' },
    repeat: { type: 'string', default: '1' },
    dir: { type: 'string' },
    seed: { type: 'string', default: '1' },
  },
})
const SEED = Number(args.seed)
const modes = [true, false] as const
const modeName = (worker: boolean) => (worker ? 'worker' : 'inline')

async function withDb<T>(worker: boolean, body: (db: DB) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(args.dir ?? tmpdir(), 'sett-evl-'))
  try {
    const db = await open(dir, { compactionWorker: worker })
    try {
      return await body(db)
    } finally {
      await db.close()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

interface Delay {
  p50: number
  p99: number
  max: number
  /** Seconds the main thread waited for a CPU (NaN where /proc is missing). */
  runQueueWait: number
}

/** Nanoseconds the main thread has spent runnable but not running, from /proc (NaN elsewhere). */
function runQueueNs(): number {
  try {
    return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[1])
  } catch {
    return Number.NaN
  }
}

/** Runs `body` with the event-loop delay histogram on; figures in ms. */
async function measureDelay<T>(body: () => Promise<T>): Promise<[T, Delay]> {
  const h = monitorEventLoopDelay({ resolution: 10 })
  const waited = runQueueNs()
  h.enable()
  const out = await body()
  h.disable()
  const runQueueWait = (runQueueNs() - waited) / 1e9
  return [out, { p50: h.percentile(50) / 1e6, p99: h.percentile(99) / 1e6, max: h.max / 1e6, runQueueWait }]
}

const ms = (x: number) => x.toFixed(1).padStart(6)
const ops = (x: number) => Math.round(x).toLocaleString('en-US')

/** The machine's floor: a CPU-bound loop with no database that yields every 4 ms. */
async function busyLoop(seconds: number): Promise<void> {
  const end = performance.now() + seconds * 1000
  let last = performance.now()
  let x = 0
  while (performance.now() < end) {
    for (let i = 0; i < 1000; i++) x += Math.sqrt(i)
    if (performance.now() - last >= 4) {
      await yieldToEventLoop()
      last = performance.now()
    }
  }
  if (x < 0) console.log(x)
}

async function eventLoopRun(): Promise<void> {
  const valueSize = 100
  const puts = Math.round((Number(args.gib) * 2 ** 30) / (KEY_SIZE + valueSize))
  console.log(`fillrandom, ${args.gib} GiB: ${ops(puts)} puts of ${KEY_SIZE} B keys (random in [0, ${ops(puts)})) and ` +
    `${valueSize} B half-compressible values, batches of 100, sync off, seed ${SEED}; load average ${loadavg()[0].toFixed(1)} on 2 cores`)
  console.log('event-loop delay, sampled every 10 ms (an idle loop reads 10.0 ms):')
  console.log('mode      ops/s     p50     p99     max   flushes  compactions  stalls (ms)  max L0 (stop at 20)  run-queue wait')
  const shapes: string[] = []
  for (const worker of modes) {
    await withDb(worker, async (db) => {
      let maxL0 = 0
      const sampler = setInterval(() => (maxL0 = Math.max(maxL0, db.stats().levels[0].files)), 100)
      const [took, d] = await measureDelay(() =>
        fillRandom(db, { puts, keySpace: puts, valueSize, compressionRatio: 0.5, seed: SEED }))
      clearInterval(sampler)
      const st = db.stats()
      console.log(`${modeName(worker).padEnd(6)} ${ops((puts / took) * 1000).padStart(9)} ${ms(d.p50)}  ${ms(d.p99)}  ${ms(d.max)}  ` +
        `${String(st.flushes).padStart(8)}  ${String(st.compactions).padStart(11)}  ${`${st.stalls} (${Math.round(st.stallMs)})`.padStart(11)}  ` +
        `${String(maxL0).padStart(19)}  ${d.runQueueWait.toFixed(1)} s of ${(took / 1000).toFixed(1)} s`)
      shapes.push(`end of the fill (${modeName(worker)}): ${levelShape(db).join('; ')}`)
      const t = performance.now()
      await db.compactRange()
      shapes.push(`after compactRange() (${modeName(worker)}, ${((performance.now() - t) / 1000).toFixed(1)} s): ${levelShape(db).join('; ')}`)
    })
  }
  const [, floor] = await measureDelay(() => busyLoop(20))
  console.log(`floor  ${'—'.padStart(9)} ${ms(floor.p50)}  ${ms(floor.p99)}  ${ms(floor.max)}   (a 20 s busy loop, no database, ` +
    `yielding every 4 ms; run-queue wait ${floor.runQueueWait.toFixed(1)} s)`)
  for (const s of shapes) console.log(s)
}

async function throughputRun(): Promise<void> {
  const sizes = [100, 1024]
  const keys = args.keys.split(',').map(Number)
  const repeat = Number(args.repeat)
  console.log(`fillrandom then overwrite (each N random puts over N keys), ${KEY_SIZE} B keys, half-compressible values, ` +
    `batches of 100, sync off, seed ${SEED}; median of ${repeat} run(s); load average ${loadavg()[0].toFixed(1)} on 2 cores`)
  console.log('| value | keys | workload | worker ops/s | inline ops/s | worker/inline |')
  console.log('| ---: | ---: | --- | ---: | ---: | ---: |')
  for (let s = 0; s < sizes.length; s++) {
    const n = keys[s] ?? keys[keys.length - 1]
    const runs = { worker: { fill: [] as number[], over: [] as number[] }, inline: { fill: [] as number[], over: [] as number[] } }
    for (let r = 0; r < repeat; r++) {
      // Modes alternate so that noise on the machine falls on both.
      for (const worker of r % 2 === 0 ? modes : [...modes].reverse()) {
        await withDb(worker, async (db) => {
          const o = { puts: n, keySpace: n, valueSize: sizes[s], compressionRatio: 0.5 }
          runs[modeName(worker)].fill.push((n / (await fillRandom(db, { ...o, seed: SEED + r }))) * 1000)
          runs[modeName(worker)].over.push((n / (await fillRandom(db, { ...o, seed: SEED + r + 1000 }))) * 1000)
        })
      }
    }
    for (const w of ['fill', 'over'] as const) {
      const a = median(runs.worker[w])
      const b = median(runs.inline[w])
      console.log(`| ${sizes[s]} B | ${ops(n)} | ${w === 'fill' ? 'fillrandom' : 'overwrite'} | ${ops(a)} | ${ops(b)} | ${(a / b).toFixed(2)}× |`)
    }
  }
}

if (args.throughput) await throughputRun()
else await eventLoopRun()
