// Event-loop health during a sustained fillrandom: how long the embedding program's event loop is
// held up while Sett flushes and compacts, with compactions in the worker thread and inline.
//
//   npm run bench:event-loop                      0.25 GiB of 100 B values per mode
//   npm run bench:event-loop -- --gib 1           the 1 GiB
//
// perf_hooks.monitorEventLoopDelay samples every 10 ms; p99 and max are of those samples.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { open } from '../engine/index.js'

const { values: args } = parseArgs({ options: { gib: { type: 'string', default: '0.25' }, dir: { type: 'string' } } })
const VALUE = 100
const KEY = 16
const num = Math.round((Number(args.gib) * 2 ** 30) / (VALUE + KEY))

async function run(worker: boolean): Promise<void> {
  const dir = mkdtempSync(join(args.dir ?? tmpdir(), 'sett-evl-'))
  try {
    const db = await open(dir, { compactionWorker: worker })
    const value = Buffer.alloc(VALUE, 0x61)
    const h = monitorEventLoopDelay({ resolution: 10 })
    h.enable()
    const t = performance.now()
    let x = 12345
    for (let s = 0; s < num; s += 100) {
      const b = db.batch()
      for (let i = 0; i < 100; i++) {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0
        b.put(`k${String(x % num).padStart(15, '0')}`, value)
      }
      await b.write()
    }
    const ms = performance.now() - t
    h.disable()
    const st = db.stats()
    await db.close()
    const p = (q: number) => (h.percentile(q) / 1e6).toFixed(1)
    console.log(`${worker ? 'worker' : 'inline'}: ${num.toLocaleString('en-US')} puts in ${(ms / 1000).toFixed(1)} s ` +
      `(${Math.round((num / ms) * 1000).toLocaleString('en-US')} ops/s); event-loop delay p50 ${p(50)} ms, p99 ${p(99)} ms, ` +
      `max ${(h.max / 1e6).toFixed(1)} ms; ${st.flushes} flushes, ${st.compactions} compactions, stalls ${st.stalls} (${Math.round(st.stallMs)} ms)`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

console.log(`fillrandom, ${args.gib} GiB of ${KEY} B keys and ${VALUE} B values, batches of 100, sync off`)
await run(true)
await run(false)
