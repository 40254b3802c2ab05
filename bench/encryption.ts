// The cost of encryption at rest on the real disk: fillrandom and readrandom with and without an
// encryption key, at 1 KiB and 16 KiB values, in one run.
//
//   npm run bench:encryption                         10,000 keys per size, 3 runs
//   npm run bench:encryption -- --keys 2000 --runs 5
//
// Each run opens two fresh databases, one plain and one encrypted, and measures them side by side
// in one process: fillrandom writes `keys` 16-byte keys in random order (batches of 100, sync off)
// to both, batch by batch in turns; after flush and compaction, readrandom reads `keys` random
// existing keys one getSync at a time, in turns of 500, checking every value. Taking turns this
// finely puts both under the same noise from a shared machine, so the ratio (encrypted / plain,
// per run, then the median over runs) is steadier than either rate. One warm-up run is dropped.
// Values are random bytes (incompressible) and at the default valueThreshold (1 KiB) both sizes
// go to the value log, so every value is encrypted once on write and once per read.

import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { type DB, open } from '../engine/index.js'

const { values: args } = parseArgs({
  options: {
    keys: { type: 'string', default: '10000' },
    runs: { type: 'string', default: '3' },
    dir: { type: 'string' },
  },
})
const KEYS = Number(args.keys)
const RUNS = Number(args.runs)
const root = args.dir ?? tmpdir()
const BATCH = 100
const MASTER_KEY = randomBytes(32)

const key = (i: number): Buffer => Buffer.from(`key${String(i).padStart(13, '0')}`) // 16 bytes

function shuffled(n: number): number[] {
  const a = Array.from({ length: n }, (_, i) => i)
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[a[i], a[j]] = [a[j], a[i]]
  }
  return a
}

interface RunFigures {
  fill: number
  read: number
  /** CPU time (user + system) per get: readrandom runs alone on the main thread, so this is its cost. */
  readCpuUs: number
}

/** The two databases of a run, measured side by side. */
interface Side {
  db: DB
  fillMs: number
  readMs: number
  readCpuUs: number
}

/**
 * fillrandom on both databases at once, batch by batch in turns (plain, encrypted, plain, ...), so
 * both meet the same background noise from the machine; each side's time is the sum of its own
 * batch writes.
 */
async function fillBoth(sides: Side[], values: Buffer[]): Promise<void> {
  const order = shuffled(KEYS)
  for (let s = 0; s < KEYS; s += BATCH) {
    for (const side of sides) {
      const b = side.db.batch()
      for (let j = s; j < Math.min(KEYS, s + BATCH); j++) b.put(key(order[j]), values[order[j]])
      const t = performance.now()
      await b.write()
      side.fillMs += performance.now() - t
    }
  }
}

/** readrandom on both, in turns of 500 gets on the same random keys; every value is checked. */
function readBoth(sides: Side[], values: Buffer[]): void {
  const picks = Array.from({ length: KEYS }, () => Math.floor(Math.random() * KEYS))
  const keys = picks.map(key)
  for (let s = 0; s < KEYS; s += 500) {
    const end = Math.min(KEYS, s + 500)
    for (const side of sides) {
      const t = performance.now()
      const cpu = process.cpuUsage()
      for (let i = s; i < end; i++) {
        const v = side.db.getSync(keys[i])
        if (v === undefined || v.length !== values[picks[i]].length) throw new Error(`read back wrong value for key ${picks[i]}`)
      }
      side.readMs += performance.now() - t
      const used = process.cpuUsage(cpu)
      side.readCpuUs += used.user + used.system
    }
  }
  for (const side of sides) {
    for (let i = 0; i < KEYS; i += 97) if (!side.db.getSync(keys[i])!.equals(values[picks[i]])) throw new Error(`wrong value for key ${picks[i]}`)
  }
}

/** One run: returns [plain, encrypted] figures. */
async function once(values: Buffer[]): Promise<[RunFigures, RunFigures]> {
  const dirs = [0, 1].map(() => mkdtempSync(join(root, 'sett-bench-enc-')))
  try {
    const sides: Side[] = []
    for (const [i, dir] of dirs.entries()) {
      sides.push({ db: await open(dir, { encryptionKey: i === 1 ? MASTER_KEY : null }), fillMs: 0, readMs: 0, readCpuUs: 0 })
    }
    await fillBoth(sides, values)
    for (const side of sides) {
      await side.db.flush()
      await side.db.compactRange()
    }
    readBoth(sides, values)
    for (const side of sides) await side.db.close()
    const rate = (ms: number) => (KEYS / ms) * 1000
    const [p, e] = sides.map((side) => ({ fill: rate(side.fillMs), read: rate(side.readMs), readCpuUs: side.readCpuUs / KEYS }))
    return [p, e]
  } finally {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US').padStart(8)

console.log(`encryption at rest: ${KEYS.toLocaleString('en-US')} keys of 16 B per run, ${RUNS} runs per cell, batches of ${BATCH}, sync off,`)
console.log(`AES-256-CTR (32-byte master key), default options otherwise; ${cpus().length} cores, shared (figures are noisy: compare ratios)`)
console.log('')
console.log('value size  workload     plain ops/s  encrypted ops/s  encrypted/plain  (per-run ratios; the column is their median)')
for (const valueSize of [1024, 16384]) {
  const values = Array.from({ length: KEYS }, () => randomBytes(valueSize))
  const plain: RunFigures[] = []
  const enc: RunFigures[] = []
  await once(values) // warm-up (JIT, page cache), not reported
  for (let r = 0; r < RUNS; r++) {
    const [p, e] = await once(values)
    plain.push(p)
    enc.push(e)
  }
  for (const w of ['fill', 'read'] as const) {
    const p = median(plain.map((f) => f[w]))
    const e = median(enc.map((f) => f[w]))
    const ratios = plain.map((f, i) => enc[i][w] / f[w])
    const perRun = ratios.map((x) => x.toFixed(2)).join(' ')
    const name = w === 'fill' ? 'fillrandom' : 'readrandom'
    console.log(`${String(valueSize).padStart(6)} B    ${name}  ${fmt(p)}     ${fmt(e)}          ${median(ratios).toFixed(2)}          (${perRun})`)
  }
  const cpuP = median(plain.map((f) => f.readCpuUs))
  const cpuE = median(enc.map((f) => f.readCpuUs))
  console.log(`${' '.repeat(10)}  readrandom CPU per get: plain ${cpuP.toFixed(1)} µs, encrypted ${cpuE.toFixed(1)} µs (+${(cpuE - cpuP).toFixed(1)} µs, medians)`)
}
