// The value log on the real disk, two measurements in one run:
//
//   npm run bench:vlog                      both, at the sizes
//   npm run bench:vlog -- --keys 2000       smaller
//
// 1. Space: `keys` keys with 16 KiB random values, each overwritten 3 times, then 20% deleted;
//    compaction and value-log GC run to completion; value-log bytes on disk vs live value bytes,
//    and every live key read back.
// 2. Write cost: fillrandom then overwrite with 16 KiB values, valueThreshold 1 KiB (values in
//    the value log) vs values inline (threshold above the value size): ops/s and bytes written to
//    the device per user byte (/proc/self/io write_bytes, until compaction is idle).

import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { type DB, open } from '../engine/index.js'

const { values: args } = parseArgs({
  options: {
    keys: { type: 'string', default: '20000' },
    'value-size': { type: 'string', default: '16384' },
    dir: { type: 'string' },
  },
})
const KEYS = Number(args.keys)
const VALUE = Number(args['value-size'])
const root = args.dir ?? tmpdir()
const key = (i: number) => `key${String(i).padStart(8, '0')}`
const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`

function writeBytes(): number {
  const m = /write_bytes:\s*(\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))
  return m ? Number(m[1]) : 0
}

function filesBytes(dir: string, suffix: string): number {
  return readdirSync(dir).filter((n) => n.endsWith(suffix)).reduce((s, n) => s + statSync(join(dir, n)).size, 0)
}

/** Writes every key once in random order, in batches of 16 (16 KiB × 16 = 256 KiB per batch). */
async function fillRound(db: DB, live: Map<string, Buffer> | undefined): Promise<number> {
  const order = Array.from({ length: KEYS }, (_, i) => i).sort(() => Math.random() - 0.5)
  const t = performance.now()
  for (let s = 0; s < KEYS; s += 16) {
    const b = db.batch()
    for (const i of order.slice(s, s + 16)) {
      const v = randomBytes(VALUE)
      b.put(key(i), v)
      live?.set(key(i), v)
    }
    await b.write()
  }
  return performance.now() - t
}

async function space(): Promise<void> {
  const dir = mkdtempSync(join(root, 'sett-vlog-space-'))
  try {
    const db = await open(dir)
    const live = new Map<string, Buffer>()
    for (let round = 0; round < 4; round++) await fillRound(db, live)
    for (let i = 0; i < KEYS; i += 5) {
      await db.del(key(i))
      live.delete(key(i))
    }
    const beforeGC = filesBytes(dir, '.vlog')
    const t = performance.now()
    await db.compactRange()
    let collected = 0
    while (await db.runValueLogGC(0.5)) collected++
    await db.compactRange()
    while (await db.runValueLogGC(0.2)) collected++
    const gcMs = performance.now() - t
    const liveBytes = [...live.values()].reduce((n, v) => n + v.length, 0)
    const after = filesBytes(dir, '.vlog')
    let checked = 0
    for (const [k, v] of live) {
      if (!db.getSync(k)?.equals(v)) throw new Error(`${k} reads back wrong after GC`)
      checked++
    }
    await db.close()
    console.log(`1. space: ${KEYS.toLocaleString('en-US')} keys × ${VALUE} B, written 4 times, 20% deleted`)
    console.log(`   value log before GC ${mib(beforeGC)}, after ${mib(after)} (${collected} files collected in ${(gcMs / 1000).toFixed(1)} s)`)
    console.log(`   live values ${mib(liveBytes)}: value log / live = ${(after / liveBytes).toFixed(3)} (must be <= 1.3); ${checked.toLocaleString('en-US')} keys verified`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function cost(label: string, valueThreshold: number): Promise<void> {
  const dir = mkdtempSync(join(root, 'sett-vlog-cost-'))
  try {
    const db = await open(dir, { valueThreshold })
    const user = KEYS * (VALUE + 11)
    let w0 = writeBytes()
    const fillMs = await fillRound(db, undefined)
    await db.flush()
    await db.compactRange()
    const fillWA = (writeBytes() - w0) / user
    w0 = writeBytes()
    const overMs = await fillRound(db, undefined)
    await db.flush()
    await db.compactRange()
    const overWA = (writeBytes() - w0) / user
    await db.close()
    const rate = (ms: number) => Math.round((KEYS / ms) * 1000).toLocaleString('en-US')
    console.log(`   ${label.padEnd(28)} fillrandom ${rate(fillMs).padStart(6)} ops/s, W-amp ${fillWA.toFixed(2)} | overwrite ${rate(overMs).padStart(6)} ops/s, W-amp ${overWA.toFixed(2)}`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

await space()
console.log(`2. write cost, ${KEYS.toLocaleString('en-US')} keys × ${VALUE} B, batches of 16, sync off (W-amp: device bytes written, compaction included, per user byte)`)
await cost('valueThreshold 1 KiB (vlog)', 1024)
await cost('values inline', VALUE + 1)
