// An A/B probe for readrandom of large values (issue #14): per-read wall and CPU time (all threads),
// minor page faults, GCs (how many were major) and voluntary context switches, for the Sett of any
// checkout (--root, so main's build and a branch's read the same database in turns) or
// classic-level. Fill once with --fill [--compact], then run the reads as often as needed; the
// database is reused, never deleted. Not a comparison of engines: bench/run.ts is.
// Must never: write to the database after the fill (the reads of each run must meet the same files).
//
//   npx tsx bench/read-gc-probe.ts --db /tmp/x --num 50000 --value-size 16384 --fill --compact
//   npx tsx bench/read-gc-probe.ts --db /tmp/x --num 50000 --value-size 16384 --root /work/main --secs 3
//
// Why faults: every large read's Buffer is malloc'd, and glibc trimming its heap after each
// scavenge's bulk free made 2-10 faults per 64 KiB read (vlog/value-log.ts, MALLOC_THRESHOLDS).
// Why GC counts: runs are bimodal (0 major GCs, or 15-50 in 2-3 s), so compare runs with like
// counts. What V8 does in the bad mode (node 20, --trace-gc-verbose --trace-incremental-marking):
// once a mark-compact runs during the read loop, it sizes the old generation's next limit with a
// growing factor from GC speed / old-generation allocation speed; any small but nonzero old-space
// allocation (a few hundred bytes per ms: promotions, JIT code, a Map rehashed per read) gives a
// speed ratio in the hundreds and the minimum factor, 1.1, so the limit is the heap plus 8 MB
// plus the young generation. 64 KiB reads allocate 16 MB of young ArrayBuffers between
// scavenges (V8 forces one at twice the semi-space size), and those count against the limit
// (and the 64 MB external-memory soft limit while the concurrent ArrayBuffer sweeper lags), so
// marking restarts right after each mark-compact, whose own promotions keep the factor at 1.1.
// A bare loop of Buffer.allocUnsafeSlow(64 KiB) falls into it too once it runs fast enough,
// without Sett opened.

import { rmSync } from 'node:fs'
import { GCProfiler } from 'node:v8'
import { parseArgs } from 'node:util'

const { values: a } = parseArgs({
  options: {
    root: { type: 'string', default: process.cwd() },
    db: { type: 'string' },
    num: { type: 'string', default: '50000' },
    'value-size': { type: 'string', default: '16384' },
    fill: { type: 'boolean', default: false },
    compact: { type: 'boolean', default: false },
    /** With --fill: read in the same process afterwards (the bench's fresh case). */
    read: { type: 'boolean', default: false },
    engine: { type: 'string', default: 'sett' },
    secs: { type: 'string', default: '3' },
  },
})
if (a.db === undefined) throw new Error('--db DIR is required')
const root = a.root!
const { ValueSource, writeKey } = await import(`${root}/bench/harness/keys.js`)
const { Rng, shuffledIndices } = await import(`${root}/bench/harness/random.js`)
const open = a.engine === 'sett'
  ? (await import(`${root}/bench/engines/sett.js`)).openSett
  : (await import(`${root}/bench/engines/classic-level.js`)).openClassicLevel
const num = Number(a.num)
const valueSize = Number(a['value-size'])
if (a.fill) rmSync(a.db, { recursive: true, force: true })
const db = await open({ dir: a.db, sync: false })
const settle = async () => {
  while (db.busy?.()) await new Promise((r) => setTimeout(r, 100))
}
if (a.fill) {
  const values = new ValueSource(valueSize, 0.5, 1)
  const order: number[] = shuffledIndices(num, new Rng(1))
  for (let i = 0; i < num; i += 100) {
    const keys: Buffer[] = []
    const vals: Uint8Array[] = []
    for (let j = i; j < Math.min(num, i + 100); j++) {
      const k = Buffer.allocUnsafe(16)
      writeKey(k, 0, 16, order[j])
      keys.push(k)
      vals.push(values.next())
    }
    await db.batch(keys, vals, keys.length, false)
  }
  await settle()
  if (a.compact) {
    await db.compact()
    await settle()
  }
  console.log(`filled ${num} × ${valueSize} B${a.compact ? ', compacted' : ''}`)
}
if (!a.fill || a.read) {
  const rng = new Rng(2)
  const key = Buffer.allocUnsafe(16)
  for (let i = 0; i < 5000; i++) {
    writeKey(key, 0, 16, Math.floor(rng.next() * num))
    db.get(key)
  }
  // GCProfiler keeps its records in C++ until stop(): a PerformanceObserver's entries piled up in
  // the heap during the synchronous loop and were promoted by each GC, itself an old-generation
  // allocation that shrinks V8's heap growing factor (see the top of this file).
  const profiler = new GCProfiler()
  profiler.start()
  const ms = Number(a.secs) * 1000
  const r0 = process.resourceUsage()
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  let n = 0
  while (performance.now() - t0 < ms) {
    for (let i = 0; i < 1000; i++) {
      writeKey(key, 0, 16, Math.floor(rng.next() * num))
      const v = db.get(key)
      if (v === undefined || v.length !== valueSize) throw new Error('bad read')
    }
    n += 1000
  }
  const dt = performance.now() - t0
  const c = process.cpuUsage(c0)
  const r1 = process.resourceUsage()
  const gcStats = profiler.stop().statistics
  const gcs = gcStats.length
  const majors = gcStats.filter((g) => g.gcType === 'MarkSweepCompact').length
  const gcMs = gcStats.reduce((t, g) => t + g.cost / 1000, 0)
  const per = (x: number, digits = 1) => (x / n).toFixed(digits)
  // Per 1k reads and per collection, by kind: the question of issue #14 is how many major GCs a run
  // does and what each costs, against classic-level's in the same run.
  const kinds = (kind: string) => {
    const g = gcStats.filter((x) => x.gcType === kind)
    const ms = g.reduce((t, x) => t + x.cost / 1000, 0)
    return `${((g.length * 1000) / n).toFixed(2)}/1k reads, ${g.length === 0 ? '-' : (ms / g.length).toFixed(2)} ms each`
  }
  console.log(`${a.engine} ${root} ${valueSize} B: ${Math.round((n * 1000) / dt)} ops/s, wall ${per(dt * 1000)} µs, cpu ${per(c.user + c.system)} µs ` +
    `(user ${per(c.user)}, sys ${per(c.system)}), faults/read ${per(r1.minorPageFault - r0.minorPageFault, 2)}, ` +
    `gc ${gcs} (${majors} major, ${per(gcMs * 1000)} µs/read), voluntary switches/read ${per(r1.voluntaryContextSwitches - r0.voluntaryContextSwitches, 3)}; ` +
    `scavenges ${kinds('Scavenge')}; mark-compacts ${kinds('MarkSweepCompact')}`)
}
await db.close()
