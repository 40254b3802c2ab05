// The bench command line: `npm run bench -- [workloads] [options]`, parsed into a BenchConfig.
// Presets (--quick, --full) fill in workloads, value sizes and key counts; options given
// explicitly win over a preset.

import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { ENGINES, type EngineName, isEngine } from '../engines/adapter.js'
import { maxKeyIndex } from './keys.js'
import { WORKLOADS, type WorkloadName, isWorkload } from './workloads.js'

export const USAGE = `npm run bench -- [workloads] [options]

workloads (comma- or space-separated; default: the db_bench set below at 100 B values):
  fillseq fillrandom overwrite fillsync fillsync64 readrandom readmissing readseq readreverse seekrandom
  deleterandom ycsb-a ycsb-b ycsb-c ycsb-d ycsb-e ycsb-f

presets:
  --quick                fillrandom,readrandom,readseq at 100 B (100k keys) and 16 KiB (10k keys), < 2 min
  --full                 the RESULTS.md run: 10 workloads × 100 B … 64 KiB, 1M … 20k keys, --duration 10

options:
  --num N[,N…]           keys the fills write, one per value size (default 1000000)
  --ops N[,N…]           operations of the other workloads (default: --num); readseq/readreverse scan N
  --value-size B[,B…]    value sizes in bytes, each a separate run (default 100)
  --key-size B           key size (default 16)
  --batch N              puts per batch in fillseq/fillrandom/overwrite (default 100)
  --sync                 every write waits for fsync (fillsync always does)
  --compression-ratio R  how far values compress (default 0.5, as db_bench)
  --threshold B          Sett's valueThreshold: values this large go to the value log (Sett's default: 1 KiB)
  --memory-budget MiB    Sett's memoryBudget, in MiB (Sett's default: 128)
  --app-heap MiB         every engine's child first fills its JS heap with this many MiB of live objects of its
                         own, as an application would hold (default 0: none); see bench/README.md
  --db DIR               where the databases go: put it on the disk being measured (default: $TMPDIR/sett-bench)
  --engines a,b          engines to run (default sett,classic-level,lmdb)
  --seed N               seed of every key sequence (default 1)
  --duration S           cap each workload but the building fills at S seconds (default: none)
  --repeat N             run everything N times, engines interleaved; report medians (default 1)
  --out DIR              results.json, results.md, throughput.svg, latency.svg, report.html (default bench/out,
                         under the current directory when run as 'sett bench')
  --keep                 keep the databases after each run
  --after-compact        after the fill settles, compact every engine's whole key range (compactRange) before
                         the other workloads run, so reads meet a fully compacted database
  --device-mib N         MiB written by the device probe (default 256, 64 with --quick; 0 skips it)
  --baseline FILE        an earlier run's results.json (e.g. bench/results/results.json): after the run, print
                         and add to results.md each of Sett's figures now and then, and its ratio to classic-level
                         now and then, marking those more than 5% lower
  --help`

export interface BenchConfig {
  workloads: WorkloadName[]
  valueSizes: number[]
  nums: number[]
  ops: number[]
  keySize: number
  batch: number
  sync: boolean
  compressionRatio: number
  threshold: number | undefined
  /** Sett's memoryBudget in bytes (--memory-budget, given in MiB); undefined: Sett's default. */
  memoryBudget: number | undefined
  /** MiB of live JS objects each child holds before opening its engine (--app-heap); 0: none. */
  appHeapMiB: number
  db: string
  engines: EngineName[]
  seed: number
  durationS: number
  repeat: number
  out: string
  keep: boolean
  /** Compact the whole key range after the fill, before the other workloads (--after-compact). */
  afterCompact: boolean
  preset: 'quick' | 'full' | undefined
  deviceMiB: number
  /** A results.json to compare this run with (--baseline); undefined: none. */
  baseline: string | undefined
  settleIdleMs: number
  settleMaxMs: number
}

export class ArgsError extends Error {}

export const QUICK = {
  workloads: ['fillrandom', 'readrandom', 'readseq'] as WorkloadName[],
  valueSizes: [100, 16384],
  nums: [100_000, 10_000],
}

export const FULL = {
  workloads: ['fillseq', 'fillrandom', 'overwrite', 'fillsync', 'readrandom', 'readmissing', 'readseq', 'ycsb-a', 'ycsb-b', 'ycsb-e'] as WorkloadName[],
  valueSizes: [100, 1024, 4096, 16384, 65536],
  nums: [1_000_000, 200_000, 100_000, 50_000, 20_000],
  /** Keeps 3 engines × 5 sizes near half an hour: YCSB E's scans alone would take minutes per engine. */
  durationS: 10,
}

const DEFAULT_WORKLOADS: WorkloadName[] = [
  'fillseq', 'fillrandom', 'overwrite', 'fillsync', 'readrandom', 'readmissing', 'readseq', 'readreverse', 'seekrandom', 'deleterandom',
]

function int(name: string, text: string, min: number): number {
  const v = Number(text.replace(/_/g, ''))
  if (!Number.isInteger(v) || v < min) throw new ArgsError(`--${name} must be an integer >= ${min}, got "${text}"`)
  return v
}

function list(name: string, text: string, min: number): number[] {
  return text.split(',').filter((x) => x !== '').map((x) => int(name, x.trim(), min))
}

/** Spreads a per-value-size list: one value for all, or exactly one per size. */
function perSize(name: string, values: number[], sizes: number[]): number[] {
  if (values.length === 1) return sizes.map(() => values[0])
  if (values.length !== sizes.length) {
    throw new ArgsError(`--${name} needs one value, or one per value size (${sizes.length}), got ${values.length}`)
  }
  return values
}

export function parseBenchArgs(argv: string[]): BenchConfig | 'help' {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        quick: { type: 'boolean', default: false },
        full: { type: 'boolean', default: false },
        num: { type: 'string' },
        ops: { type: 'string' },
        'value-size': { type: 'string' },
        'key-size': { type: 'string', default: '16' },
        batch: { type: 'string', default: '100' },
        sync: { type: 'boolean', default: false },
        'compression-ratio': { type: 'string', default: '0.5' },
        threshold: { type: 'string' },
        'memory-budget': { type: 'string' },
        'app-heap': { type: 'string', default: '0' },
        db: { type: 'string' },
        engines: { type: 'string', default: ENGINES.join(',') },
        seed: { type: 'string', default: '1' },
        duration: { type: 'string' },
        repeat: { type: 'string', default: '1' },
        out: { type: 'string' },
        keep: { type: 'boolean', default: false },
        'after-compact': { type: 'boolean', default: false },
        'device-mib': { type: 'string' },
        baseline: { type: 'string' },
        'settle-idle-ms': { type: 'string', default: '1000' },
        'settle-max-ms': { type: 'string', default: '120000' },
        help: { type: 'boolean', default: false },
      },
    })
  } catch (err) {
    throw new ArgsError((err as Error).message)
  }
  const a = parsed.values
  if (a.help) return 'help'
  if (a.quick && a.full) throw new ArgsError('--quick and --full are two different presets: pick one')
  const preset = a.quick ? 'quick' : a.full ? 'full' : undefined
  const base = preset === 'quick' ? QUICK : preset === 'full' ? FULL : { workloads: DEFAULT_WORKLOADS, valueSizes: [100], nums: [1_000_000] }

  const names = parsed.positionals.flatMap((p) => p.split(',')).map((p) => p.trim()).filter((p) => p !== '')
  for (const n of names) if (!isWorkload(n)) throw new ArgsError(`unknown workload "${n}" (known: ${WORKLOADS.join(', ')})`)
  const workloads = names.length > 0 ? (names as WorkloadName[]) : base.workloads

  const valueSizes = a['value-size'] !== undefined ? list('value-size', a['value-size'], 1) : base.valueSizes
  let nums: number[]
  if (a.num !== undefined) nums = perSize('num', list('num', a.num, 1), valueSizes)
  else if (a['value-size'] === undefined) nums = base.nums
  else nums = perSize('num', [base.nums[0]], valueSizes)
  const ops = a.ops !== undefined ? perSize('ops', list('ops', a.ops, 1), valueSizes) : nums

  const keySize = int('key-size', a['key-size'], 1)
  const most = Math.max(...nums.map((n, i) => n + ops[i]))
  if (most > maxKeyIndex(keySize)) throw new ArgsError(`--key-size ${keySize} cannot hold ${most} distinct keys; use a larger key size`)

  const ratio = Number(a['compression-ratio'])
  if (!(ratio > 0 && ratio <= 1)) throw new ArgsError(`--compression-ratio must be in (0, 1], got "${a['compression-ratio']}"`)

  const engines = a.engines.split(',').map((e) => e.trim()).filter((e) => e !== '')
  for (const e of engines) if (!isEngine(e)) throw new ArgsError(`unknown engine "${e}" (known: ${ENGINES.join(', ')})`)
  if (engines.length === 0) throw new ArgsError('--engines names no engine')

  let durationS = preset === 'full' ? FULL.durationS : Infinity
  if (a.duration !== undefined) {
    durationS = Number(a.duration)
    if (!(durationS > 0)) throw new ArgsError(`--duration must be a positive number of seconds, got "${a.duration}"`)
  }

  return {
    workloads,
    valueSizes,
    nums,
    ops,
    keySize,
    batch: int('batch', a.batch, 1),
    sync: a.sync,
    compressionRatio: ratio,
    threshold: a.threshold === undefined ? undefined : int('threshold', a.threshold, 0),
    memoryBudget: a['memory-budget'] === undefined ? undefined : int('memory-budget', a['memory-budget'], 1) * 1024 * 1024,
    appHeapMiB: int('app-heap', a['app-heap'], 0),
    db: a.db ?? join(tmpdir(), 'sett-bench'),
    engines: [...new Set(engines)] as EngineName[],
    seed: int('seed', a.seed, 0),
    durationS,
    repeat: int('repeat', a.repeat, 1),
    out: a.out ?? 'bench/out',
    keep: a.keep,
    afterCompact: a['after-compact'],
    preset,
    deviceMiB: a['device-mib'] !== undefined ? int('device-mib', a['device-mib'], 0) : preset === 'quick' ? 64 : 256,
    baseline: a.baseline,
    settleIdleMs: int('settle-idle-ms', a['settle-idle-ms'], 1),
    settleMaxMs: int('settle-max-ms', a['settle-max-ms'], 1),
  }
}
