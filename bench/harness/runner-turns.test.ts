// The runner's own event-loop turns: at least one per millisecond for calls that resolve without
// I/O (so an engine's main-thread work still runs), none for calls that waited for I/O and so
// turned the loop already (a synced put's fsync: an extra turn was charged to the engine and not
// to the raw loop it is compared with). Counts the runner's setImmediate() from timers/promises.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest'
import type { EngineAdapter } from '../engines/adapter.js'
import { type RunConfig, runGroup } from './runner.js'
import { type WorkloadName, planGroups } from './workloads.js'

const turns = vi.hoisted(() => ({ n: 0 }))
vi.mock('node:timers/promises', async (importOriginal) => {
  const orig = await importOriginal<typeof import('node:timers/promises')>()
  return {
    ...orig,
    setImmediate: (...args: Parameters<typeof orig.setImmediate>) => {
      turns.n++
      return orig.setImmediate(...args)
    },
  }
})

/** A map engine whose writes resolve at once, or (`waits`) after an event-loop turn of their own. */
function engine(waits: boolean): EngineAdapter {
  const map = new Map<string, Buffer>()
  const turn = (): Promise<void> => (waits ? new Promise((r) => setImmediate(r)) : Promise.resolve())
  return {
    name: 'sett', version: 'test', notes: [],
    async batch(keys, values, count) {
      for (let i = 0; i < count; i++) map.set(Buffer.from(keys[i]).toString('latin1'), Buffer.from(values[i]))
      await turn()
    },
    async put(k, v) {
      map.set(Buffer.from(k).toString('latin1'), Buffer.from(v))
      await turn()
    },
    async del(k) {
      map.delete(Buffer.from(k).toString('latin1'))
      await turn()
    },
    get: (k) => map.get(Buffer.from(k).toString('latin1')),
    cursor: () => ({ next: () => 0, close() {} }),
    async close() {},
  }
}

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

async function run(workload: WorkloadName, e: EngineAdapter, over: Partial<RunConfig>): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'sett-bench-turns-'))
  dirs.push(dir)
  const cfg: RunConfig = {
    dir, num: 2000, ops: 1000, valueSize: 64, keySize: 16, batch: 100, sync: false, compressionRatio: 0.5, seed: 1,
    durationMs: Infinity, settleIdleMs: 20, settleMaxMs: 2000, progressMs: 5, ...over,
  }
  const [group] = planGroups([workload])
  const t = performance.now()
  await runGroup(e, group, cfg, () => {})
  return performance.now() - t
}

describe('runner event-loop turns', () => {
  beforeEach(() => {
    turns.n = 0
  })

  it('gives calls that resolve without I/O a turn at least every few milliseconds', async () => {
    // 200 batches of 100 puts into a Map: several milliseconds with no I/O at all.
    let ms = 0
    let n = 0
    for (let i = 0; i < 5 && n < 2; i++) {
      turns.n = 0
      ms = await run('fillrandom', engine(false), { num: 20_000 })
      n = turns.n
    }
    expect(ms).toBeGreaterThan(2)
    expect(n).toBeGreaterThanOrEqual(1)
  })

  it('adds no turn of its own to calls that waited on the event loop (a synced put)', async () => {
    await run('fillsync', engine(true), { num: 1500 })
    expect(turns.n).toBe(0)
    // The same engine resolving at once gets the runner's turns (the raw slices' fsyncs turn the
    // loop too, so only some), which is what the count above would show if the check were gone.
    await run('fillrandom', engine(false), { num: 20_000 })
    expect(turns.n).toBeGreaterThan(0)
  })
})
