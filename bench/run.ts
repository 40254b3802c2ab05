// `npm run bench`: db_bench- and YCSB-style workloads against Sett and the engines a user would
// otherwise pick (classic-level, lmdb), in one run, one code path (bench/engines/), each engine in
// a fresh child process per workload group. Measures the device first, prints a live bar, and
// writes results.json, results.md, throughput.svg, latency.svg and report.html. See bench/README.md.
//
//   npm run bench -- --quick
//   npm run bench -- fillrandom,readrandom --value-size 100,4096 --num 1000000,100000
//   npm run bench -- --full --db /mnt/ssd/bench --repeat 3

import { execFileSync, fork } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ChildMessage, ChildRequest } from './child.js'
import type { EngineName } from './engines/adapter.js'
import { ArgsError, type BenchConfig, USAGE, parseBenchArgs } from './harness/args.js'
import { baselineSection, compareWithBaseline, readBenchResults } from './harness/baseline.js'
import { latencySvg, throughputSvg } from './harness/chart.js'
import { probeDevice } from './harness/device.js'
import { procIoAvailable } from './harness/metrics.js'
import { type PeerName, type PeerStatus, ensurePeer } from './harness/peers.js'
import { Progress } from './harness/progress.js'
import { type BenchResults, type RunRecord, fmtSize, htmlReport, markdownReport } from './harness/report.js'
import type { GroupResult, RunConfig } from './harness/runner.js'
import { planGroups } from './harness/workloads.js'

const here = dirname(fileURLToPath(import.meta.url))
const root = resolve(here, '..')
const fromSource = import.meta.url.endsWith('.ts')

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trimEnd()
  } catch {
    return ''
  }
}

/** HEAD, and the files of the engine (outside bench/) that differ from it: what was measured. */
function commitLabel(): string {
  const head = git(['rev-parse', '--short', 'HEAD'])
  if (!head) return 'unknown'
  const changed = git(['status', '--porcelain'])
    .split('\n')
    .map((l) => l.slice(3).trim())
    .filter((f) => f !== '' && !f.startsWith('bench/') && !f.startsWith('package'))
  return changed.length > 0 ? `${head} + uncommitted changes to ${changed.join(', ')}` : head
}

/** Runs one engine on one group in a child process; resolves with its result or an error text. */
function runChild(req: ChildRequest, progress: Progress): Promise<{ result?: GroupResult; error?: string }> {
  const childFile = join(here, fromSource ? 'child.ts' : 'child.js')
  const child = fork(childFile, [], {
    cwd: root,
    // SETT_BENCH_NODE_ARGS: extra Node flags for the children only (e.g. "--cpu-prof
    // --cpu-prof-dir=/tmp/p", which NODE_OPTIONS refuses), to profile a workload where it runs.
    execArgv: [...(fromSource ? ['--import', 'tsx'] : []), ...(process.env.SETT_BENCH_NODE_ARGS?.split(/\s+/).filter((a) => a !== '') ?? [])],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    // Structured clone, not JSON: Infinity (no --duration) and NaN must survive the trip.
    serialization: 'advanced',
  })
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-8000)
  })
  child.stdout!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-8000)
  })
  return new Promise((resolvePromise) => {
    let outcome: { result?: GroupResult; error?: string } | undefined
    let watchdog = setTimeout(() => child.kill('SIGKILL'), 15 * 60_000)
    child.on('message', (m: ChildMessage) => {
      clearTimeout(watchdog)
      watchdog = setTimeout(() => child.kill('SIGKILL'), 15 * 60_000)
      if (m.type === 'done') outcome = { result: m.result }
      else if (m.type === 'error') outcome = { error: m.message }
      else progress.event(m)
    })
    child.on('exit', (code, signal) => {
      clearTimeout(watchdog)
      progress.end()
      if (outcome) resolvePromise(outcome)
      else resolvePromise({ error: `child exited (${signal ?? `code ${code}`}) without a result: ${stderr.trim().split('\n').slice(-5).join(' | ')}` })
    })
    child.send(req)
  })
}

/** The --baseline file and what it holds, read before the run (it may be the very results.json this run replaces). */
interface Baseline {
  file: string
  results: BenchResults
}

async function main(cfg: BenchConfig, command: string, baseline: Baseline | undefined): Promise<void> {
  const progress = new Progress()
  const notes: string[] = []
  // From an installed package the results go beside the user, not into node_modules.
  const out = resolve(fromSource ? root : process.cwd(), cfg.out)
  // A directory of this invocation's own under --db: two benches run at once (a user's beside
  // another's, or two checkouts' A/B) would otherwise delete each other's databases, which share
  // names (engine-size-group).
  const base = resolve(cfg.db)
  mkdirSync(base, { recursive: true })
  const db = mkdtempSync(join(base, 'run-'))
  mkdirSync(out, { recursive: true })

  console.log(`Sett bench — ${cfg.workloads.join(', ')}`)
  console.log(`  engines ${cfg.engines.join(', ')}; value sizes ${cfg.valueSizes.map(fmtSize).join(', ')}; ` +
    `keys ${cfg.nums.map((n) => n.toLocaleString('en-US')).join(', ')} (one per value size); ` +
    `${cfg.keySize} B keys; batches of ${cfg.batch}; compression ratio ${cfg.compressionRatio}; seed ${cfg.seed}` +
    (cfg.sync ? '; every write synced' : '') + (cfg.memoryBudget !== undefined ? `; Sett's memoryBudget ${cfg.memoryBudget / 2 ** 20} MiB` : '') + (Number.isFinite(cfg.durationS) ? `; workloads capped at ${cfg.durationS} s` : '') +
    (cfg.repeat > 1 ? `; ${cfg.repeat} repeats, medians reported` : '') +
    (cfg.afterCompact ? '; compactRange() after the fill' : '') + (cfg.appHeapMiB > 0 ? `; each child holds ${cfg.appHeapMiB} MiB of its own objects` : ''))
  if (cfg.appHeapMiB > 0) notes.push(`Each engine's child allocated ${cfg.appHeapMiB} MiB of live JS objects of its own before opening the engine (--app-heap), as an application's process holds.`)
  // Said beside every read comparison: the engines do not check the same things on a read. The
  // cost is Sett's alone and grows with the value (CRC-32 of a 64 KiB entry: ~4 µs here, a fifth
  // of a 64 KiB point read), so a reader of the ratios must know it.
  if (cfg.engines.some((e) => e !== 'sett') && cfg.workloads.some((w) => w.startsWith('read') || w.startsWith('ycsb') || w === 'seekrandom')) {
    const peerChecks = [
      ...(cfg.engines.includes('classic-level') ? ['classic-level checks none (LevelDB\'s ReadOptions.verify_checksums defaults to false and classic-level never sets it)'] : []),
      ...(cfg.engines.includes('lmdb') ? ['lmdb stores no checksums'] : []),
    ]
    notes.push(`Checksums on reads differ: Sett checks the checksum of every table block it reads from a file and of every value-log entry it returns; ${peerChecks.join('; ')}.`)
  }
  if (cfg.afterCompact) notes.push('After the fill settled, each engine compacted its whole key range (compactRange; lmdb has nothing to compact) before the other workloads ran.')
  if (cfg.preset === 'quick') {
    notes.push('Quick mode: 100,000 keys at 100 B and 10,000 keys at 16 KiB, so three engines finish in under two minutes; figures from so few keys mostly measure memory.')
    console.log(`  ${notes[notes.length - 1]}`)
  }
  console.log(`  databases in ${db}`)
  const ioOk = procIoAvailable()
  if (!ioOk) {
    notes.push('/proc/self/io is not readable here: write amplification is not measured.')
    console.log(`  ${notes[notes.length - 1]}`)
  }

  // Peers: install on demand, leave out what cannot be had.
  const peers: Partial<Record<EngineName, PeerStatus>> = {}
  const engines: EngineName[] = []
  for (const e of cfg.engines) {
    if (e === 'sett') {
      engines.push(e)
      continue
    }
    const st = await ensurePeer(e as PeerName, (l) => console.log(`  ${l}`))
    peers[e] = st
    if (st.ok) engines.push(e)
    else console.log(`  ${e} is not available and will not run: ${st.reason}`)
  }
  if (cfg.threshold !== undefined && engines.includes('sett')) {
    const { settHasValueThreshold } = await import('./engines/sett.js')
    if (!settHasValueThreshold()) {
      notes.push(`--threshold ${cfg.threshold} is ignored: this Sett has no valueThreshold option yet (the value log, issue #4).`)
      console.log(`  ${notes[notes.length - 1]}`)
    }
  }

  let device = null
  if (cfg.deviceMiB > 0) {
    process.stdout.write(`  measuring the device (${cfg.deviceMiB} MiB sequential write, synced appends for 1 s) … `)
    device = probeDevice(db, cfg.deviceMiB, 1000)
    console.log(`${Math.round(device.seqWriteMiBPerSec).toLocaleString('en-US')} MiB/s, ${Math.round(device.syncAppendsPerSec).toLocaleString('en-US')} fsyncs/s`)
  }

  const results: BenchResults = {
    meta: {
      command,
      date: new Date().toISOString(),
      commit: commitLabel(),
      node: process.version,
      cpu: os.cpus()[0]?.model ?? 'unknown',
      cores: os.cpus().length,
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      kernel: os.release(),
      procIo: ioOk,
    },
    config: {
      workloads: cfg.workloads, valueSizes: cfg.valueSizes, nums: cfg.nums, ops: cfg.ops, keySize: cfg.keySize,
      batch: cfg.batch, sync: cfg.sync, compressionRatio: cfg.compressionRatio, threshold: cfg.threshold ?? null,
      memoryBudget: cfg.memoryBudget ?? null,
      appHeapMiB: cfg.appHeapMiB,
      engines, seed: cfg.seed, durationS: Number.isFinite(cfg.durationS) ? cfg.durationS : null, repeat: cfg.repeat, db,
    },
    device,
    peers,
    notes,
    runs: [],
  }

  const groups = planGroups(cfg.workloads)
  const started = performance.now()
  for (let rep = 0; rep < cfg.repeat; rep++) {
    // Engines take turns within each group, starting with a different one each repeat, so a
    // noisy minute on a shared machine falls on all of them alike.
    const order = engines.map((_, i) => engines[(i + rep) % engines.length])
    for (let v = 0; v < cfg.valueSizes.length; v++) {
      const valueSize = cfg.valueSizes[v]
      for (const [g, group] of groups.entries()) {
        for (const engine of order) {
          const label = `${engine} ${fmtSize(valueSize)}${cfg.repeat > 1 ? ` #${rep + 1}` : ''}`
          progress.begin(label)
          const run: RunConfig = {
            dir: join(db, `${engine}-${valueSize}-${g}`),
            num: cfg.nums[v],
            ops: cfg.ops[v],
            valueSize,
            keySize: cfg.keySize,
            batch: cfg.batch,
            sync: cfg.sync,
            compressionRatio: cfg.compressionRatio,
            seed: cfg.seed,
            durationMs: cfg.durationS * 1000,
            settleIdleMs: cfg.settleIdleMs,
            settleMaxMs: cfg.settleMaxMs,
            progressMs: 100,
            afterCompact: cfg.afterCompact,
          }
          const outcome = await runChild({ engine, group, run, valueThreshold: cfg.threshold, memoryBudget: cfg.memoryBudget, appHeapMiB: cfg.appHeapMiB, keep: cfg.keep }, progress)
          const record: RunRecord = { engine, valueSize, num: cfg.nums[v], ops: cfg.ops[v], group: group.name, repeat: rep, ...outcome }
          results.runs.push(record)
          if (outcome.error) progress.log(`  ${label}: FAILED — ${outcome.error.split('\n').slice(0, 3).join(' | ')}`)
          if (!cfg.keep) rmSync(run.dir, { recursive: true, force: true })
        }
      }
    }
  }
  if (!cfg.keep) rmSync(db, { recursive: true, force: true })
  const minutes = (performance.now() - started) / 60000
  notes.push(`Ran in ${minutes.toFixed(1)} min.`)

  const json = JSON.stringify(results, (_, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 1)
  writeFileSync(join(out, 'results.json'), json)
  const against = baseline === undefined
    ? ''
    : baselineSection(compareWithBaseline(results, baseline.results), results, baseline.results, baseline.file)
  const md = markdownReport(results, { heading: '# Sett benchmark results' }) + (against === '' ? '' : `\n${against}`)
  writeFileSync(join(out, 'results.md'), md)
  const charts = [throughputSvg(results), latencySvg(results)]
  writeFileSync(join(out, 'throughput.svg'), charts[0])
  writeFileSync(join(out, 'latency.svg'), charts[1])
  writeFileSync(join(out, 'report.html'), htmlReport(results, charts))

  console.log()
  console.log(markdownReport(results, { detail: false }))
  if (against !== '') console.log(against)
  const rel = (f: string) => {
    const r = relative(process.cwd(), join(out, f))
    return r.startsWith('..') ? join(out, f) : r
  }
  console.log(`Wrote ${rel('results.json')}, ${rel('results.md')} (with the detail tables), ${rel('throughput.svg')}, ${rel('latency.svg')} and ${rel('report.html')}.`)
  if (results.runs.some((r) => r.error)) process.exitCode = 1
}

let cfg: BenchConfig | 'help'
let baseline: Baseline | undefined
try {
  cfg = parseBenchArgs(process.argv.slice(2))
  if (cfg !== 'help' && cfg.baseline !== undefined) {
    const file = cfg.baseline
    try {
      baseline = { file, results: readBenchResults(file) }
    } catch (err) {
      throw new ArgsError(`--baseline ${(err as Error).message}`)
    }
  }
} catch (err) {
  if (!(err instanceof ArgsError)) throw err
  console.error(`${err.message}\n\n${USAGE}`)
  process.exit(2)
}
if (cfg === 'help') {
  console.log(USAGE)
} else {
  const args = process.argv.slice(2)
  await main(cfg, args.length === 0 ? 'npm run bench' : ['npm run bench --', ...args].join(' '), baseline)
}
