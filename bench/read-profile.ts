// A read-path profiling driver (issue #14): fills a database of N keys (16 B keys, values of
// --value-size bytes, half compressible, as bench/run.ts makes them) in random order, optionally
// compacts it, then times readrandom (getSync) and readseq (nextSync, or `for await` with --async).
// Small and repeatable, for `node --cpu-prof` and `valgrind --tool=callgrind`; not a comparison.
//
//   npx tsx bench/read-profile.ts --num 200000 --value-size 100 [--compact] [--reads 500000] [--db DIR] [--async] [--compression none]
//     [--block-size BYTES] [--block-cache BYTES] [--memory]

import { rmSync, writeFileSync } from 'node:fs'
import { Session } from 'node:inspector'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { open } from '../engine/index.js'
import { ValueSource, writeKey } from './harness/keys.js'
import { Rng, shuffledIndices } from './harness/random.js'

const { values: a } = parseArgs({
  options: {
    num: { type: 'string', default: '200000' },
    'value-size': { type: 'string', default: '100' },
    reads: { type: 'string' },
    compact: { type: 'boolean', default: false },
    async: { type: 'boolean', default: false },
    only: { type: 'string' },
    compression: { type: 'string', default: 'lz4' },
    /** Bytes per data block (the engine's blockSize); the default is the engine's. */
    'block-size': { type: 'string' },
    /** Block cache bytes (the engine's blockCacheSize); the default is the engine's. */
    'block-cache': { type: 'string' },
    /** After readrandom, print process.memoryUsage() and stats().memory. */
    memory: { type: 'boolean', default: false },
    db: { type: 'string', default: join(tmpdir(), 'sett-read-profile') },
    /** Writes a .cpuprofile of the reads alone (not the fill) to this path. */
    profile: { type: 'string' },
  },
})
const num = Number(a.num)
const valueSize = Number(a['value-size'])
const reads = Number(a.reads ?? a.num)
rmSync(a.db, { recursive: true, force: true })
const db = await open(a.db, {
  compression: a.compression as 'lz4' | 'none',
  ...(a['block-size'] !== undefined ? { blockSize: Number(a['block-size']) } : {}),
  ...(a['block-cache'] !== undefined ? { blockCacheSize: Number(a['block-cache']) } : {}),
})
const values = new ValueSource(valueSize, 0.5, 1)
let t = performance.now()
const order = shuffledIndices(num, new Rng(1))
for (let i = 0; i < num; i += 100) {
  const b = db.batch()
  for (let j = i; j < Math.min(num, i + 100); j++) {
    const k = Buffer.allocUnsafe(16)
    writeKey(k, 0, 16, order[j])
    b.put(k, values.next())
  }
  await b.write()
}
await db.flush()
if (a.compact) await db.compactRange()
console.log(`fill ${num} × ${valueSize} B${a.compact ? ' + compactRange' : ''}: ${((performance.now() - t) / 1000).toFixed(1)} s; levels ${db.stats().levels.map((l) => l.files).join('/')}`)

const session = new Session()
if (a.profile !== undefined) {
  session.connect()
  await post('Profiler.enable')
  await post('Profiler.start')
}
function post(method: string): Promise<unknown> {
  return new Promise((resolve, reject) => session.post(method, (err, r) => (err ? reject(err) : resolve(r))))
}

if (a.only !== 'readseq') {
  const rng = new Rng(2)
  const key = Buffer.allocUnsafe(16)
  t = performance.now()
  for (let i = 0; i < reads; i++) {
    writeKey(key, 0, 16, Math.floor(rng.next() * num))
    const v = db.getSync(key)
    if (v === undefined || v.length !== valueSize) throw new Error('bad read')
  }
  console.log(`readrandom: ${Math.round((reads * 1000) / (performance.now() - t)).toLocaleString('en-US')} ops/s`)
  if (a.memory) {
    const m = process.memoryUsage()
    console.log(JSON.stringify({ rss: m.rss >> 20, heapTotal: m.heapTotal >> 20, external: m.external >> 20, arrayBuffers: m.arrayBuffers >> 20, memory: db.stats().memory }))
  }
}
if (a.only !== 'readrandom') {
  t = performance.now()
  let n = 0
  if (a.async) {
    for await (const [, v] of db.iterator()) if (v.length === valueSize) n++
  } else {
    const it = db.iterator()
    for (let e = it.nextSync(); e !== undefined; e = it.nextSync()) if (e[1].length === valueSize) n++
  }
  if (n !== num) throw new Error(`scan saw ${n} of ${num}`)
  console.log(`readseq${a.async ? ' (for await)' : ''}: ${Math.round((n * 1000) / (performance.now() - t)).toLocaleString('en-US')} entries/s`)
}
if (a.profile !== undefined) {
  const { profile } = (await post('Profiler.stop')) as { profile: unknown }
  writeFileSync(a.profile, JSON.stringify(profile))
}
await db.close()
rmSync(a.db, { recursive: true, force: true })
