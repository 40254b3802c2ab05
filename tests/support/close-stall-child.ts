// A child process for engine/close.test.ts: queues writes that will stall behind L0
// (l0StopTrigger), closes at once, and prints one JSON line with what became of them. Run apart
// because the hang it guards against spins on microtasks: no timer of the test could fire.

import { MemFileSystem } from '../../base/mem-fs.js'
import { open } from '../../engine/index.js'

// Each batch is past maxGroupBytes / 2, so it commits as a group of its own, and past
// memtableSize, so each one freezes a memtable: L0 reaches l0StopTrigger after two flushes.
const BATCHES = 8
const PUTS = 1500
const value = 'v'.repeat(1000)
const fs = new MemFileSystem()
const options = {
  fs, memtableSize: 1 << 20, compactionWorker: false,
  l0CompactionTrigger: 2, l0SlowdownTrigger: 2, l0StopTrigger: 2,
}
const db = await open('/db', options)
const writes = Array.from({ length: BATCHES }, (_, b) =>
  db.batch(Array.from({ length: PUTS }, (_, i) => ({ type: 'put' as const, key: `b${b}-${String(i).padStart(5, '0')}`, value }))))
const closed = db.close()
const settled = await Promise.allSettled(writes)
await closed
const stalls = db.stats().stalls
const again = await open('/db', options)
const found = [...again.iterator({ keysOnly: true })].length
await again.close()
const committed = settled.filter((s) => s.status === 'fulfilled').length
process.stdout.write(`${JSON.stringify({ batches: BATCHES, committed, keys: BATCHES * PUTS, found, stalls })}\n`)
