// Model-based test of the synced-inline write path (engine/write-path.ts SYNCED_INLINE_MAX): random
// synced and unsynced puts of small and large values, deletes and batches, flushes (whole
// value-log files), compactions, value-log GC, clean reopens and simulated power losses, against
// a plain sorted Map. After a clean reopen the engine holds exactly the model; after a power loss
// it holds the model as of some prefix of the writes that includes every write up to the last
// synced one (or flush). fast-check is not installed here: a seeded generator instead, the seed
// printed on failure (rerun: SETT_SEED=n).

import { describe, expect, it } from 'vitest'
import { MemFileSystem } from '../../base/mem-fs.js'
import { type DB, type Options, open, verifyDatabase } from '../../engine/index.js'
import { VLOG_FORMAT_WHOLE, checkFileHeader } from '../../vlog/index.js'
import { hex } from '../support/model.js'
import { type Rng, makeRng, testSeed } from '../support/rng.js'

const DIR = '/db'

function options(fs: MemFileSystem): Options {
  return {
    fs,
    memtableSize: 96 * 1024,
    tableTargetSize: 32 * 1024,
    levelBaseBytes: 128 * 1024,
    l0CompactionTrigger: 3,
    valueThreshold: 1024,
    valueLogFileSize: 64 * 1024,
    autoValueLogGC: 0,
  }
}

/** One write of the log: a batch of puts (a value) and deletes (undefined), applied together. */
type Write = { ops: [string, Buffer | undefined][]; sync: boolean }

function apply(state: Map<string, Buffer>, w: Write): void {
  for (const [k, v] of w.ops) {
    if (v === undefined) state.delete(k)
    else state.set(k, v)
  }
}

function randomOp(rng: Rng): [string, Buffer | undefined] {
  const k = hex(Buffer.from(`key${rng.int(40)}`))
  if (rng.chance(0.15)) return [k, undefined]
  const large = rng.chance(0.5)
  return [k, Buffer.from(rng.bytes(large ? 1024 + rng.int(20 * 1024) : 1 + rng.int(200)))]
}

async function dump(db: DB): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>()
  for (const [k, v] of db.iterator()) out.set(hex(k), Buffer.from(v))
  return out
}

function same(a: Map<string, Buffer>, b: Map<string, Buffer>): boolean {
  if (a.size !== b.size) return false
  for (const [k, v] of a) if (!b.get(k)?.equals(v)) return false
  return true
}

async function runModel(seed: number, steps: number): Promise<void> {
  const rng = makeRng(seed)
  let fs = new MemFileSystem()
  let db = await open(DIR, options(fs))
  // The state every power loss keeps (as of the last synced write, flush or reopen), and the
  // writes since, of which a power loss keeps a prefix at least `mustKeep` long.
  let durable = new Map<string, Buffer>()
  let since: Write[] = []
  let mustKeep = 0
  let wholeSeen = 0
  const model = (): Map<string, Buffer> => {
    const m = new Map(durable)
    for (const w of since) apply(m, w)
    return m
  }
  const settle = (): void => {
    durable = model()
    since = []
    mustKeep = 0
  }
  for (let step = 0; step < steps; step++) {
    const r = rng()
    if (r < 0.7) {
      const ops = rng.chance(0.2) ? Array.from({ length: 2 + rng.int(5) }, () => randomOp(rng)) : [randomOp(rng)]
      const w: Write = { ops, sync: rng.chance(0.6) }
      if (ops.length === 1) {
        const [k, v] = ops[0]
        if (v === undefined) await db.del(Buffer.from(k, 'hex'), { sync: w.sync })
        else await db.put(Buffer.from(k, 'hex'), v, { sync: w.sync })
      } else {
        await db.batch(ops.map(([k, v]) => (v === undefined ? { type: 'del' as const, key: Buffer.from(k, 'hex') } : { type: 'put' as const, key: Buffer.from(k, 'hex'), value: v })), { sync: w.sync })
      }
      since.push(w)
      if (w.sync) mustKeep = since.length
    } else if (r < 0.78) {
      const [k] = randomOp(rng)
      const got = db.getSync(Buffer.from(k, 'hex'))
      const want = model().get(k)
      expect(got === undefined ? undefined : hex(got), `step ${step} get ${k}`).toBe(want === undefined ? undefined : hex(want))
    } else if (r < 0.84) {
      await db.flush()
      settle() // a flush syncs the WAL it rotates away from
      for (const n of fs.list(DIR)) if (n.endsWith('.vlog') && checkFileHeader(n, fs.readFile(`${DIR}/${n}`)) === VLOG_FORMAT_WHOLE) wholeSeen++
    } else if (r < 0.87) {
      await db.compactRange()
      settle()
    } else if (r < 0.9) {
      await db.flush()
      await db.compactRange()
      await db.runValueLogGC(0.3)
      settle()
    } else if (r < 0.94) {
      await db.close()
      db = await open(DIR, options(fs))
      settle()
      expect(same(await dump(db), durable), `step ${step}: after a clean reopen`).toBe(true)
    } else {
      // A power loss: what was never synced may go, a prefix of the writes at least to the last synced one stays.
      fs = fs.crash({ seed: rng.int(1 << 30), tearUnsynced: rng.chance(0.5) })
      db = await open(DIR, options(fs))
      const got = await dump(db)
      const candidate = new Map(durable)
      for (let i = 0; i < mustKeep; i++) apply(candidate, since[i])
      let kept = same(got, candidate) ? mustKeep : -1
      for (let i = mustKeep; i < since.length && kept < 0; i++) {
        apply(candidate, since[i])
        if (same(got, candidate)) kept = i + 1
      }
      expect(kept, `step ${step}: after a power loss the engine holds no prefix of at least ${mustKeep} of the ${since.length} writes since the last durable point`).toBeGreaterThanOrEqual(mustKeep)
      since = since.slice(0, kept)
      settle()
    }
  }
  await db.close()
  expect(same(await (async () => {
    const re = await open(DIR, options(fs))
    try {
      return await dump(re)
    } finally {
      await re.close()
    }
  })(), model())).toBe(true)
  expect(verifyDatabase(DIR, { fs }).problems).toEqual([])
  // The run went through the path under test: flushes wrote whole value-log files.
  expect(wholeSeen).toBeGreaterThan(0)
}

describe('synced-inline write path against a sorted Map', () => {
  it('random synced/unsynced puts and deletes of small and large values, flushes, GC, reopens and power losses', async () => {
    const seeds = [1, 2, 3, testSeed()]
    for (const seed of seeds) {
      try {
        await runModel(seed, 400)
      } catch (err) {
        console.error(`synced-inline model failed with SETT_SEED=${seed}`)
        throw err
      }
    }
  }, 120_000)
})
