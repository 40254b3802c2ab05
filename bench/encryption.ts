// The cost of encryption at rest on the real disk: fillrandom and readrandom with and without an
// encryption key, at 1 KiB and 16 KiB values, in one run.
//
//   npm run bench:encryption                         10,000 keys per size, 3 runs
//   npm run bench:encryption -- --keys 2000 --runs 5
//
// Each run writes `keys` 16-byte keys in random order (batches of 100, sync off) into a fresh
// directory, waits for compaction, then reads `keys` random existing keys one getSync at a time,
// checking every value. One warm-up run of each is not reported. Runs alternate plain/encrypted so both see the same background noise;
// the figures are medians over the runs, and the ratio is encrypted / plain of those medians.
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
}

async function fill(db: DB, values: Buffer[]): Promise<number> {
  const order = shuffled(KEYS)
  const t = performance.now()
  for (let s = 0; s < KEYS; s += BATCH) {
    const b = db.batch()
    for (let j = s; j < Math.min(KEYS, s + BATCH); j++) b.put(key(order[j]), values[order[j]])
    await b.write()
  }
  return (KEYS / (performance.now() - t)) * 1000
}

function read(db: DB, values: Buffer[]): number {
  const picks = Array.from({ length: KEYS }, () => Math.floor(Math.random() * KEYS))
  const keys = picks.map(key)
  const t = performance.now()
  for (let i = 0; i < KEYS; i++) {
    const v = db.getSync(keys[i])
    if (v === undefined || v.length !== values[picks[i]].length) throw new Error(`read back wrong value for key ${picks[i]}`)
  }
  const rate = (KEYS / (performance.now() - t)) * 1000
  for (let i = 0; i < KEYS; i += 97) if (!db.getSync(keys[i])!.equals(values[picks[i]])) throw new Error(`wrong value for key ${picks[i]}`)
  return rate
}

async function once(valueSize: number, encrypted: boolean, values: Buffer[]): Promise<RunFigures> {
  const dir = mkdtempSync(join(root, 'sett-bench-enc-'))
  try {
    const db = await open(dir, { encryptionKey: encrypted ? MASTER_KEY : null })
    const fillRate = await fill(db, values)
    await db.flush()
    await db.compactRange()
    const readRate = read(db, values)
    await db.close()
    return { fill: fillRate, read: readRate }
  } finally {
    rmSync(dir, { recursive: true, force: true })
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
console.log('value size  workload     plain ops/s  encrypted ops/s  encrypted/plain  (per-run ratios)')
for (const valueSize of [1024, 16384]) {
  const values = Array.from({ length: KEYS }, () => randomBytes(valueSize))
  const plain: RunFigures[] = []
  const enc: RunFigures[] = []
  // One unreported run of each first: JIT warm-up and the page cache settle before anything counts.
  await once(valueSize, false, values)
  await once(valueSize, true, values)
  for (let r = 0; r < RUNS; r++) {
    // Alternate which goes first, so a slow patch of the machine does not always hit one side.
    if (r % 2 === 0) {
      plain.push(await once(valueSize, false, values))
      enc.push(await once(valueSize, true, values))
    } else {
      enc.push(await once(valueSize, true, values))
      plain.push(await once(valueSize, false, values))
    }
  }
  for (const w of ['fill', 'read'] as const) {
    const p = median(plain.map((f) => f[w]))
    const e = median(enc.map((f) => f[w]))
    const perRun = plain.map((f, i) => (enc[i][w] / f[w]).toFixed(2)).join(' ')
    const name = w === 'fill' ? 'fillrandom' : 'readrandom'
    console.log(`${String(valueSize).padStart(6)} B    ${name}  ${fmt(p)}     ${fmt(e)}          ${(e / p).toFixed(2)}          (${perRun})`)
  }
}
