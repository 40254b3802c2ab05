// Crash tests for value-log GC on the in-memory file system: a database with garbage in its value
// log runs GC to completion while a writer overwrites and deletes keys; the process dies at every
// file operation of that phase in turn, power is lost, and the reopened database must hold exactly
// the acknowledged state (plus, at most, the write in flight), every value readable.

import { describe, expect, it } from 'vitest'
import { CrashError, MemFileSystem } from '../../base/mem-fs.js'
import { type DB, type Options, open } from '../../engine/index.js'
import { cloneFs } from '../support/clone-fs.js'
import { Model, hex } from '../support/model.js'
import { makeRng } from '../support/rng.js'

const DIR = '/db'
const options = (fs: MemFileSystem): Options => ({
  fs, sync: true, valueThreshold: 256, valueLogFileSize: 8 * 1024, memtableSize: 16 * 1024, tableTargetSize: 16 * 1024,
})
const key = (i: number) => new TextEncoder().encode(`key${String(i).padStart(3, '0')}`)

async function base(): Promise<{ fs: MemFileSystem; model: Model }> {
  const fs = new MemFileSystem()
  const db = await open(DIR, options(fs))
  const rng = makeRng(77)
  const model = new Model()
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 60; i++) {
      const v = rng.bytes(300 + rng.int(400))
      await db.put(key(i), v)
      model.put(key(i), v)
    }
  }
  await db.compactRange()
  await db.close()
  return { fs, model }
}

interface Outcome {
  crashed: boolean
  acked: Model
  inflight?: Model
}

/** GC to completion beside a writer; stops at the armed crash. */
async function gcPhase(fs: MemFileSystem, db: DB, start: Model): Promise<Outcome> {
  let acked = start.clone()
  let inflight: Model | undefined
  let crashed = false
  const dead = (err: unknown) => {
    if (err instanceof CrashError || fs.isCrashed()) crashed = true
    else throw err
  }
  const writer = async () => {
    const rng = makeRng(5)
    for (let n = 0; n < 25 && !crashed; n++) {
      const k = key(rng.int(60))
      const next = acked.clone()
      const del = rng.chance(0.3)
      const v = rng.bytes(rng.chance(0.5) ? 500 : 50)
      del ? next.del(k) : next.put(k, v)
      inflight = next
      try {
        await (del ? db.del(k) : db.put(k, v))
        acked = next
        inflight = undefined
      } catch (err) {
        dead(err)
      }
    }
  }
  const gc = async () => {
    try {
      while (!crashed && (await db.runValueLogGC(0.3)));
    } catch (err) {
      dead(err)
    }
  }
  await Promise.all([writer(), gc()])
  return { crashed: crashed || fs.isCrashed(), acked, inflight }
}

async function stateOf(fs: MemFileSystem): Promise<string> {
  const db = await open(DIR, options(fs))
  try {
    return [...db.iterator()].map(([k, v]) => `${hex(k)}=${v.toString('hex')}`).join('\n')
  } finally {
    await db.close()
  }
}

describe('power loss during value-log GC', () => {
  it('keeps every acknowledged write at every crash point of a GC run racing a writer', async () => {
    const { fs: start, model } = await base()
    // A clean run: GC must actually collect, and counts the phase's file operations.
    const clean = await cloneFs(start)
    const db = await open(DIR, options(clean))
    const before = clean.opCount
    const outcome = await gcPhase(clean, db, model)
    expect(outcome.crashed).toBe(false)
    expect(db.stats().valueLogGC.filesCollected).toBeGreaterThan(0)
    const total = clean.opCount - before
    await db.close()
    expect(await stateOf(clean)).toBe(outcome.acked.dump())

    let points = 0
    for (let k = 1; k <= total; k++) {
      const fs = await cloneFs(start)
      const d = await open(DIR, options(fs))
      fs.crashAfter(k)
      const o = await gcPhase(fs, d, model)
      if (!o.crashed) continue
      const after = fs.crash({ seed: k, keepUnsyncedNameOps: k % 2 === 0 })
      const state = await stateOf(after)
      const ok = state === o.acked.dump() || (o.inflight !== undefined && state === o.inflight.dump())
      if (!ok) throw new Error(`crash point ${k}/${total}: recovered state is not the acknowledged one`)
      points++
    }
    console.log(`value-log GC: ${points} crash points explored (${total} file operations in the phase)`)
    expect(points).toBeGreaterThan(100)
  }, 300_000)
})
