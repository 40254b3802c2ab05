// Value-log GC and versions: after GC, allVersions iteration shows each (key, seq) once and reads
// every value (the moved copy and its original coexist until a compaction merges them); versions
// numVersionsToKeep keeps stay readable, checked against a model; GC holds a bounded batch, never
// a file's live values (its peak is printed).

import { describe, expect, it } from 'vitest'
import { MemFileSystem } from '../base/mem-fs.js'
import { makeRng, testSeed } from '../tests/support/rng.js'
import { type DB, type Options, open } from './index.js'
import { RELOCATE_BATCH_BYTES } from './value-log-gc.js'

const options = (fs: MemFileSystem, extra: Options = {}): Options => ({
  fs, valueThreshold: 1024, valueLogFileSize: 256 * 1024, memtableSize: 64 * 1024, tableTargetSize: 64 * 1024,
  levelBaseBytes: 256 * 1024, ...extra,
})
const key = (i: number) => `key${String(i).padStart(5, '0')}`

async function gcUntilDone(db: DB, ratio = 0.3): Promise<number> {
  let n = 0
  while (await db.runValueLogGC(ratio)) n++
  return n
}

/** Every version allVersions shows, as key → [version, value] newest first. */
function allVersions(db: DB): Map<string, [number, string | undefined][]> {
  const out = new Map<string, [number, string | undefined][]>()
  for (const [k, v, info] of db.iterator({ allVersions: true })) {
    const list = out.get(k.toString()) ?? []
    list.push([info!.version, v === undefined ? undefined : Buffer.from(v).toString('hex', 0, 8)])
    out.set(k.toString(), list)
  }
  return out
}

describe('value-log GC and versions', () => {
  it('allVersions after GC shows each (key, seq) once, forward and reverse, and reads every value', async () => {
    const db = await open('/db', options(new MemFileSystem()))
    const rng = makeRng(testSeed())
    const live = new Map<string, Buffer>()
    for (let i = 0; i < 400; i++) live.set(key(i), Buffer.from(rng.bytes(2048)))
    for (const [k, v] of live) await db.put(k, v)
    for (let i = 0; i < 400; i += 2) {
      const v = Buffer.from(rng.bytes(2048))
      live.set(key(i), v)
      await db.put(key(i), v)
    }
    await db.compactRange()
    expect(await gcUntilDone(db)).toBeGreaterThan(0)
    const forward = [...db.iterator({ allVersions: true })].map(([k, v, info]) => [k.toString(), info!.version, v] as const)
    const reverse = [...db.iterator({ allVersions: true, reverse: true })].map(([k, v, info]) => [k.toString(), info!.version, v] as const)
    const ids = forward.map(([k, seq]) => `${k}@${seq}`)
    expect(new Set(ids).size).toBe(ids.length)
    expect(forward.length).toBe(live.size)
    for (const [k, , v] of forward) expect(Buffer.compare(v as Buffer, live.get(k)!)).toBe(0)
    // Reverse: keys largest first, each key's versions newest first; the same (key, seq) pairs.
    expect(reverse.map(([k, seq]) => `${k}@${seq}`).sort()).toEqual(ids.slice().sort())
    await db.close()
  })

  it('model: with numVersionsToKeep 3, allVersions returns exactly the newest three versions of each key after GC', async () => {
    const seed = testSeed()
    const rng = makeRng(seed)
    const fs = new MemFileSystem()
    let db = await open('/db', options(fs, { numVersionsToKeep: 3 }))
    const KEYS = 150
    const model = new Map<string, string[]>() // newest first, hex prefixes of the values
    let collected = 0
    for (let round = 0; round < 8; round++) {
      for (let i = 0; i < KEYS; i++) {
        // Two keys in three are rewritten every round, the rest never: the first files hold both
        // garbage and newest versions to move, later ones versions kept as older (which pin
        // their file: GC moves only newest versions).
        if (round > 0 && i % 3 === 0) continue
        const v = Buffer.from(rng.bytes(1500 + rng.int(1500)))
        await db.put(key(i), v)
        model.set(key(i), [v.toString('hex', 0, 8), ...(model.get(key(i)) ?? [])])
      }
      if (round % 3 === 2) {
        await db.compactRange()
        collected += await gcUntilDone(db)
      }
    }
    await db.compactRange()
    collected += await gcUntilDone(db)
    const check = (d: DB) => {
      const seen = allVersions(d)
      expect([...seen.keys()].sort(), `seed ${seed}`).toEqual([...model.keys()].sort())
      for (const [k, versions] of model) {
        expect(seen.get(k)!.map(([, v]) => v), `seed ${seed} ${k}`).toEqual(versions.slice(0, 3))
      }
    }
    check(db)
    await db.close()
    db = await open('/db', options(fs, { numVersionsToKeep: 3 }))
    check(db)
    expect(collected, `seed ${seed}`).toBeGreaterThan(0)
    await db.close()
  })

  it('holds a bounded batch, never the file: a 32 MiB file with half of it live', async () => {
    const fileSize = 32 * 1024 * 1024
    const valueSize = 16 * 1024
    const db = await open('/db', options(new MemFileSystem(), { valueLogFileSize: fileSize, memtableSize: 4 * 1024 * 1024, tableTargetSize: 2 * 1024 * 1024, levelBaseBytes: 8 * 1024 * 1024 }))
    const n = Math.floor(fileSize / (valueSize + 64))
    const value = (i: number, round: number) => Buffer.alloc(valueSize, (i + round) & 0xff)
    for (let i = 0; i < n; i += 64) await db.batch(Array.from({ length: Math.min(64, n - i) }, (_, j) => ({ type: 'put' as const, key: key(i + j), value: value(i + j, 0) })))
    for (let i = 0; i < n; i += 2) await db.put(key(i), value(i, 1))
    await db.compactRange()
    const before = process.memoryUsage().arrayBuffers
    expect(await db.runValueLogGC(0.4)).toBe(true)
    const peak = db.stats().valueLogGC.peakHeldBytes
    console.log(`GC of a ${fileSize / 2 ** 20} MiB file, half live: peak held ${(peak / 2 ** 20).toFixed(2)} MiB (bound ${RELOCATE_BATCH_BYTES / 2 ** 20} MiB + one entry); arrayBuffers +${((process.memoryUsage().arrayBuffers - before) / 2 ** 20).toFixed(1)} MiB`)
    expect(peak).toBeGreaterThan(0)
    expect(peak).toBeLessThanOrEqual(RELOCATE_BATCH_BYTES + valueSize + 1024)
    for (let i = 0; i < n; i += 97) expect((await db.get(key(i)))![0]).toBe((i + (i % 2 === 0 ? 1 : 0)) & 0xff)
    await db.close()
  })
})
