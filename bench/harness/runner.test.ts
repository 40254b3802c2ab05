// The runner against an in-memory engine: every workload does the number of operations it claims,
// reads find what was written (and a broken engine is caught), and the byte counts behind the
// amplification figures add up.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { EngineAdapter, EngineCursor } from '../engines/adapter.js'
import { type RunConfig, type StepResult, runGroup } from './runner.js'
import { planGroups, type WorkloadName } from './workloads.js'

/** A sorted-map engine. `dropEvery` loses every n-th put, to show the runner notices. */
function memoryEngine(dropEvery = 0): EngineAdapter & { size(): number; calls: Record<string, number> } {
  const map = new Map<string, Buffer>()
  const calls: Record<string, number> = { batch: 0, put: 0, del: 0, get: 0, cursor: 0 }
  let puts = 0
  const put = (k: Uint8Array, v: Uint8Array) => {
    if (dropEvery > 0 && ++puts % dropEvery === 0) return
    map.set(Buffer.from(k).toString('latin1'), Buffer.from(v))
  }
  return {
    name: 'sett',
    version: 'test',
    notes: [],
    calls,
    size: () => map.size,
    async batch(keys, values, count) {
      calls.batch++
      for (let i = 0; i < count; i++) put(keys[i], values[i])
    },
    async put(k, v) {
      calls.put++
      put(k, v)
    },
    async del(k) {
      calls.del++
      map.delete(Buffer.from(k).toString('latin1'))
    },
    get(k) {
      calls.get++
      return map.get(Buffer.from(k).toString('latin1'))
    },
    cursor({ gte, reverse }): EngineCursor {
      calls.cursor++
      let sorted = [...map.keys()].sort()
      if (gte) sorted = sorted.filter((k) => k >= Buffer.from(gte).toString('latin1'))
      if (reverse) sorted.reverse()
      let i = 0
      return {
        // Hands out at most 7 entries per call, as nextv may: the runner must keep asking.
        async next(max, visit) {
          let n = 0
          while (n < Math.min(max, 7) && i < sorted.length) {
            visit(Buffer.from(sorted[i], 'latin1'), map.get(sorted[i])!)
            i++
            n++
          }
          return n
        },
        close() {},
      }
    },
    async close() {},
  }
}

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

function config(over: Partial<RunConfig> = {}): RunConfig {
  const dir = mkdtempSync(join(tmpdir(), 'sett-bench-runner-'))
  dirs.push(dir)
  return {
    dir, num: 2000, ops: 1000, valueSize: 64, keySize: 16, batch: 100, sync: false, compressionRatio: 0.5, seed: 1,
    durationMs: Infinity, settleIdleMs: 20, settleMaxMs: 2000, progressMs: 5, ...over,
  }
}

async function run(workloads: WorkloadName[], engine = memoryEngine(), over: Partial<RunConfig> = {}) {
  const cfg = config(over)
  const [group] = planGroups(workloads)
  const events: string[] = []
  const steps = await runGroup(engine, group, cfg, (e) => events.push(e.type))
  const by = new Map<WorkloadName, StepResult>(steps.map((s) => [s.workload, s]))
  return { steps, by, engine, cfg, events }
}

describe('runGroup', () => {
  it('runs each workload to its operation count and reads back what it wrote', async () => {
    const { by, engine, steps } = await run([
      'fillrandom', 'overwrite', 'readrandom', 'readmissing', 'readseq', 'readreverse', 'seekrandom', 'ycsb-a', 'ycsb-e',
      'deleterandom',
    ])
    expect(steps.map((s) => s.workload)).toEqual([
      'fillrandom', 'overwrite', 'readrandom', 'readmissing', 'readseq', 'readreverse', 'seekrandom', 'ycsb-a', 'ycsb-e',
      'deleterandom',
    ])
    const fill = by.get('fillrandom')!
    expect(fill.ops).toBe(2000)
    expect(fill.calls).toBe(20) // batches of 100
    expect(fill.latency).toMatchObject({ unit: 'batch', count: 20 })
    expect(fill.userBytesWritten).toBe(2000 * (16 + 64))
    expect(fill.liveKeys).toBe(2000)
    expect(by.get('overwrite')!.liveKeys).toBe(2000)
    expect(by.get('readrandom')).toMatchObject({ ops: 1000, found: 1000, notFound: 0, writeAmp: null, userBytesRead: 1000 * 80 })
    expect(by.get('readmissing')).toMatchObject({ ops: 1000, found: 0, notFound: 1000 })
    // Whole scans visit every key even though the cursor hands out 7 at a time.
    expect(by.get('readseq')).toMatchObject({ ops: 2000, userBytesRead: 2000 * 80 })
    expect(by.get('readseq')!.latency).toMatchObject({ unit: 'entry', count: 2000 })
    expect(by.get('readreverse')!.ops).toBe(2000)
    expect(by.get('seekrandom')!.ops).toBe(1000)
    const e = by.get('ycsb-e')!
    expect(e.ops).toBe(1000)
    expect(e.liveKeys).toBeGreaterThan(2000) // inserts
    const del = by.get('deleterandom')!
    expect(del.liveKeys).toBe(engine.size())
    expect(del.liveKeys).toBeLessThan(e.liveKeys)
    expect(del.userBytesWritten).toBe(1000 * 16)
  })

  it('writes the last partial batch and records timelines that end at the op count', async () => {
    const { by } = await run(['fillseq'], memoryEngine(), { num: 250 })
    const s = by.get('fillseq')!
    expect(s.ops).toBe(250)
    expect(s.calls).toBe(3)
    expect(s.timeline[0]).toEqual([0, 0])
    expect(s.timeline[s.timeline.length - 1][1]).toBe(250)
    expect(s.settleMs).toBeGreaterThanOrEqual(0) // an in-memory engine has nothing left to write
    expect(s.writeAmp).not.toBeNull()
  })

  it('fillsync puts one key at a time', async () => {
    const { by, engine } = await run(['fillsync'], memoryEngine(), { num: 1500, rawSyncSlice: 1 })
    expect(by.get('fillsync')!.ops).toBe(1000)
    expect(engine.calls.put).toBe(1000)
    expect(engine.calls.batch).toBe(0)
  })

  it('measures the raw append + fdatasync loop around synced workloads only, at key + value bytes', async () => {
    // The engine's puts cost next to nothing here: the workload's time must not hold the raw slices'.
    const { by } = await run(['fillsync'], memoryEngine(), { num: 1500, rawSyncSlice: 5 })
    const s = by.get('fillsync')!
    const raw = s.rawSync!
    expect(raw.recordBytes).toBe(16 + 64)
    expect(raw.asyncPerSec).toBeGreaterThan(0)
    expect(raw.syncPerSec).toBeGreaterThan(0)
    // 40 slices of 5 + 5 fsyncs took (1000 / asyncPerSec + 1000 / syncPerSec) s; the puts took far less.
    const rawMs = 1000 * (200 / raw.asyncPerSec + 200 / raw.syncPerSec)
    expect(s.elapsedMs).toBeLessThan(rawMs)
    expect(s.opsPerSec).toBeGreaterThan(1000 / (rawMs / 1000))
    const { by: plain } = await run(['fillrandom'], memoryEngine(), { num: 1000, rawSyncMs: 20 })
    expect(plain.get('fillrandom')!.rawSync).toBeNull()
  })

  it('fillsync64 keeps up to 64 synced puts in flight at once, every key written once', async () => {
    const engine = memoryEngine()
    let inFlight = 0
    let most = 0
    const put = engine.put.bind(engine)
    engine.put = async (k, v, sync) => {
      expect(sync).toBe(true)
      most = Math.max(most, ++inFlight)
      await new Promise((r) => setImmediate(r))
      await put(k, v, sync)
      inFlight--
    }
    const { by } = await run(['fillsync64'], engine, { num: 20_000, rawSyncMs: 20 })
    const s = by.get('fillsync64')!
    expect(s.ops).toBe(8 * 1000)
    expect(engine.calls.put).toBe(8000)
    expect(engine.size()).toBe(8000)
    expect(most).toBe(64)
    expect(s.latency.count).toBe(8000)
  })

  it('stops capped workloads at --duration but never the fill that builds the database', async () => {
    const { by } = await run(['readrandom'], memoryEngine(), { num: 3000, ops: 50_000_000, durationMs: 60 })
    expect(by.get('fillrandom')!.ops).toBe(3000)
    const r = by.get('readrandom')!
    expect(r.ops).toBeLessThan(50_000_000)
    expect(r.elapsedMs).toBeLessThan(5000)
  })

  it('treats a missing --duration (0, or the null JSON makes of Infinity) as no cap', async () => {
    const { by } = await run(['readrandom'], memoryEngine(), { num: 1000, ops: 3000, durationMs: 0, progressMs: 1 })
    expect(by.get('readrandom')!.ops).toBe(3000)
  })

  it('--after-compact compacts once, after the fill and before the reads', async () => {
    const order: string[] = []
    const engine = memoryEngine()
    const get = engine.get
    engine.get = (k) => {
      if (order[order.length - 1] !== 'get') order.push('get')
      return get(k)
    }
    engine.compact = async () => {
      order.push(`compact after ${engine.size()} keys`)
    }
    const { by } = await run(['readrandom', 'readseq'], engine, { num: 1000, ops: 500, afterCompact: true })
    expect(order).toEqual(['compact after 1000 keys', 'get'])
    expect(by.get('readrandom')!.found).toBe(500)
    const plain = memoryEngine()
    let compacted = 0
    plain.compact = async () => void compacted++
    await run(['readrandom'], plain, { num: 1000, ops: 500 })
    expect(compacted).toBe(0)
  })

  it('fails loudly when the engine loses writes', async () => {
    await expect(run(['readrandom'], memoryEngine(97))).rejects.toThrow(/was written but is not found/)
  })
})
