// Model-based test: random put/del/batch/get/iterate/snapshot/flush/compact/value-log GC/reopen, puts
// with expiry times under an injected clock that moves, and dropPrefix/dropAll, against the engine
// and a plain Map side by side, with a memtable small enough that flushes and compactions happen
// constantly. Every read must agree. The seed is printed on failure (rerun: SETT_SEED=n).

import { describe, expect, it } from 'vitest'
import { MemFileSystem } from '../../base/mem-fs.js'
import { type DB, type Options, type Snapshot, open } from '../../engine/index.js'
import { Model, hex } from '../support/model.js'
import { type Rng, makeRng, testSeed } from '../support/rng.js'

const DIR = '/db'

/** The engine's injected clock (ms); the model test moves it forward. */
const clock = { now: 1_000_000 }

function smallOptions(fs: MemFileSystem, extra: Options = {}): Options {
  return {
    fs,
    clock: () => clock.now,
    ...extra,
    memtableSize: 4 * 1024,
    blockSize: 256,
    tableTargetSize: 4 * 1024,
    levelBaseBytes: 16 * 1024,
    levelMultiplier: 4,
    l0CompactionTrigger: 2,
    l0SlowdownTrigger: 6,
    l0StopTrigger: 10,
    blockCacheSize: 64 * 1024,
    // Values of 100 B and more (about a fifth, and all large ones) go to the value log.
    valueThreshold: 100,
    valueLogFileSize: 8 * 1024,
  }
}

function randomKey(rng: Rng): Uint8Array {
  // A small alphabet so keys collide, versions pile up and prefixes share.
  const len = 1 + rng.int(rng.chance(0.1) ? 40 : 4)
  const k = new Uint8Array(len)
  for (let i = 0; i < len; i++) k[i] = rng.chance(0.05) ? 0xff : 0x61 + rng.int(4)
  return k
}

function randomValue(rng: Rng): Uint8Array {
  const n = rng.chance(0.02) ? 3000 + rng.int(3000) : rng.int(120)
  return rng.bytes(n)
}

function randomRange(rng: Rng) {
  const o: Record<string, unknown> = {}
  if (rng.chance(0.3)) o.prefix = randomKey(rng).subarray(0, 1 + rng.int(2))
  if (rng.chance(0.4)) o[rng.pick(['gt', 'gte'])] = randomKey(rng)
  if (rng.chance(0.4)) o[rng.pick(['lt', 'lte'])] = randomKey(rng)
  if (rng.chance(0.5)) o.reverse = true
  if (rng.chance(0.3)) o.limit = rng.int(10)
  if (rng.chance(0.2)) o.keysOnly = true
  return o as { gt?: Uint8Array; gte?: Uint8Array; lt?: Uint8Array; lte?: Uint8Array; prefix?: Uint8Array; reverse?: boolean; limit?: number; keysOnly?: boolean }
}

async function checkIterator(db: DB, model: Model, rng: Rng, snapshot?: Snapshot): Promise<void> {
  const o = randomRange(rng)
  const expected = model.range(o)
  const got: [string, Buffer | undefined][] = []
  if (o.keysOnly) {
    for await (const [k, v] of db.iterator({ ...o, keysOnly: true, snapshot })) got.push([hex(k), v])
  } else {
    for (const [k, v] of db.iterator({ ...o, keysOnly: false, snapshot })) got.push([hex(k), v])
  }
  expect(got.map(([k]) => k), `keys of ${JSON.stringify(o)}`).toEqual(expected.map(([k]) => k))
  if (!o.keysOnly) expect(got.map(([, v]) => v!.toString('hex'))).toEqual(expected.map(([, v]) => v.toString('hex')))
  else expect(got.every(([, v]) => v === undefined)).toBe(true)
}

async function runModel(seed: number, steps: number): Promise<void> {
  const rng = makeRng(seed)
  const fs = new MemFileSystem()
  // Odd seeds keep three versions per key, so compaction's version rule runs both ways.
  const extra: Options = { numVersionsToKeep: seed % 2 === 1 ? 3 : 1 }
  let db = await open(DIR, smallOptions(fs, extra))
  const model = new Model()
  const snapshots: { snap: Snapshot; model: Model }[] = []
  try {
    for (let step = 0; step < steps; step++) {
      const r = rng()
      if (r < 0.31) {
        const k = randomKey(rng)
        const v = randomValue(rng)
        await db.put(k, v)
        model.put(k, v)
      } else if (r < 0.35) {
        const k = randomKey(rng)
        const v = randomValue(rng)
        const expiresAt = clock.now + 1 + rng.int(60)
        await db.put(k, v, { expiresAt, meta: rng.int(256) })
        model.put(k, v, expiresAt)
      } else if (r < 0.45) {
        const k = randomKey(rng)
        await db.del(k)
        model.del(k)
      } else if (r < 0.55) {
        const n = 1 + rng.int(20)
        const batch = db.batch()
        for (let i = 0; i < n; i++) {
          const k = randomKey(rng)
          if (rng.chance(0.7)) {
            const v = randomValue(rng)
            batch.put(k, v)
            model.put(k, v)
          } else {
            batch.del(k)
            model.del(k)
          }
        }
        await batch.write({ sync: rng.chance(0.2) })
      } else if (r < 0.75) {
        const k = randomKey(rng)
        const want = model.get(k)
        const got = rng.chance(0.5) ? await db.get(k) : db.getSync(k)
        expect(got && hex(got), `get ${hex(k)}`).toBe(want && hex(want))
      } else if (r < 0.85) {
        await checkIterator(db, model, rng)
      } else if (r < 0.88) {
        snapshots.push({ snap: db.snapshot(), model: model.clone() })
      } else if (r < 0.92 && snapshots.length > 0) {
        const i = rng.int(snapshots.length)
        const { snap, model: old } = snapshots[i]
        const k = randomKey(rng)
        const got = db.getSync(k, { snapshot: snap })
        expect(got && hex(got), `snapshot get ${hex(k)}`).toBe(old.get(k) && hex(old.get(k)!))
        await checkIterator(db, old, rng, snap)
        if (rng.chance(0.5)) {
          snap.release()
          snapshots.splice(i, 1)
        }
      } else if (r < 0.94) {
        await db.flush()
      } else if (r < 0.95) {
        await db.compactRange()
      } else if (r < 0.96) {
        await db.runValueLogGC(rng.pick([0.1, 0.3, 0.5]))
      } else if (r < 0.975) {
        for (const s of snapshots) s.snap.release()
        snapshots.length = 0
        await db.close()
        db = await open(DIR, smallOptions(fs, extra))
      } else if (r < 0.99) {
        // Time passes: expiry is judged by the clock at read time, for snapshots too.
        clock.now += rng.int(40)
        model.expire(clock.now)
        for (const s of snapshots) s.model.expire(clock.now)
      } else if (r < 0.997) {
        const prefix = rng.chance(0.15) ? new Uint8Array(0) : randomKey(rng).subarray(0, 1 + rng.int(2))
        if (prefix.length === 0) await db.dropAll()
        else await db.dropPrefix(prefix)
        // A drop hides the keys from every reader, snapshots included.
        model.dropPrefix(prefix)
        for (const s of snapshots) s.model.dropPrefix(prefix)
      }
    }
    // Everything, in both directions, at the end and after one more reopen.
    for (let pass = 0; pass < 2; pass++) {
      const all = [...db.iterator()].map(([k, v]) => `${hex(k)}=${v.toString('hex')}`).join('\n')
      expect(all).toBe(model.dump())
      const rev = [...db.iterator({ reverse: true })].map(([k]) => hex(k))
      expect(rev).toEqual(model.range({ reverse: true }).map(([k]) => k))
      for (const s of snapshots) s.snap.release()
      snapshots.length = 0
      await db.close()
      db = await open(DIR, smallOptions(fs, extra))
    }
    const stats = db.stats()
    expect(stats.lastSeq).toBeGreaterThan(0)
  } finally {
    await db.close()
  }
}

describe('engine against a sorted Map', () => {
  const base = testSeed()
  for (let i = 0; i < 4; i++) {
    const seed = base + i
    it(`seed ${seed}`, async () => {
      try {
        await runModel(seed, 2500)
      } catch (err) {
        console.error(`model test failed with SETT_SEED=${seed}`)
        throw err
      }
    })
  }

  it('flushes and compacts across several levels during a long run', async () => {
    const fs = new MemFileSystem()
    const db = await open(DIR, smallOptions(fs))
    const rng = makeRng(7)
    const model = new Model()
    for (let i = 0; i < 4000; i++) {
      const k = new TextEncoder().encode(`key${String(rng.int(3000)).padStart(5, '0')}`)
      const v = rng.bytes(50)
      await db.put(k, v)
      model.put(k, v)
    }
    await db.flush()
    const s = db.stats()
    expect(s.flushes).toBeGreaterThan(10)
    expect(s.compactions).toBeGreaterThan(0)
    expect(s.levels.filter((l) => l.files > 0).length).toBeGreaterThan(1)
    // L0 stays bounded by the stop trigger.
    expect(s.levels[0].files).toBeLessThanOrEqual(10)
    expect([...db.iterator()].map(([k, v]) => `${hex(k)}=${v.toString('hex')}`).join('\n')).toBe(model.dump())
    await db.close()
  })
})
