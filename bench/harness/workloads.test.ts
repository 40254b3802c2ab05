// The workload generators issue what their names promise: the right operation mixes, key orders
// and key distributions, the same sequence for the same seed, and groups that start each
// measurement from the database it needs.

import { describe, expect, it } from 'vitest'
import { KeySpace, Op, type OpSource, YCSB_MIX, createOpSource, planGroups, workloadOps, type WorkloadName } from './workloads.js'

const cfg = { num: 10_000, ops: 100_000, seed: 1 }

function loaded(n: number): KeySpace {
  const k = new KeySpace(n)
  for (let i = 0; i < n; i++) k.add(i)
  return k
}

function drain(src: OpSource, onOp?: (op: Op, key: number, length: number) => void): Map<Op, number> {
  const kinds = new Map<Op, number>()
  for (let op = src.next(); op !== Op.End; op = src.next()) {
    kinds.set(op, (kinds.get(op) ?? 0) + 1)
    onOp?.(op, src.key, src.length)
  }
  return kinds
}

describe('planGroups', () => {
  it('puts fillseq and fillsync alone and the rest behind one fillrandom, in db_bench order', () => {
    expect(planGroups(['readseq', 'fillseq', 'fillrandom', 'fillsync', 'overwrite', 'readrandom'])).toEqual([
      { name: 'fillseq', steps: [{ workload: 'fillseq', setup: false }] },
      {
        name: 'fillrandom,overwrite,readrandom,readseq',
        steps: [
          { workload: 'fillrandom', setup: false }, { workload: 'overwrite', setup: false },
          { workload: 'readrandom', setup: false }, { workload: 'readseq', setup: false },
        ],
      },
      { name: 'fillsync', steps: [{ workload: 'fillsync', setup: false }] },
    ])
  })

  it('puts fillsync64 in a group of its own, after fillsync', () => {
    expect(planGroups(['fillsync64', 'fillsync']).map((g) => g.name)).toEqual(['fillsync', 'fillsync64'])
  })

  it('adds fillrandom as an unreported setup step when only reads are asked for, and deletes last', () => {
    const [g] = planGroups(['deleterandom', 'ycsb-e', 'readrandom'])
    expect(g.steps).toEqual([
      { workload: 'fillrandom', setup: true }, { workload: 'readrandom', setup: false },
      { workload: 'ycsb-e', setup: false }, { workload: 'deleterandom', setup: false },
    ])
  })
})

describe('op sources', () => {
  it('fillseq writes 0 … N-1 in order; fillrandom writes each key once in a shuffled order', () => {
    const seq: number[] = []
    drain(createOpSource('fillseq', cfg, new KeySpace(0)), (op, k) => {
      expect(op).toBe(Op.BatchPut)
      seq.push(k)
    })
    expect(seq).toEqual(Array.from({ length: cfg.num }, (_, i) => i))
    const rnd: number[] = []
    drain(createOpSource('fillrandom', cfg, new KeySpace(0)), (_, k) => rnd.push(k))
    expect([...rnd].sort((a, b) => a - b)).toEqual(seq)
    let ascending = 0
    for (let i = 1; i < rnd.length; i++) if (rnd[i] > rnd[i - 1]) ascending++
    expect(ascending / rnd.length).toBeGreaterThan(0.45) // random order: about half the steps go up
    expect(ascending / rnd.length).toBeLessThan(0.55)
  })

  it.each(['readrandom', 'overwrite', 'readmissing', 'deleterandom'] as WorkloadName[])(
    '%s picks keys uniformly over the loaded key space', (w) => {
      const keys = loaded(cfg.num)
      const buckets = new Uint32Array(10)
      let most = 0
      const kinds = drain(createOpSource(w, cfg, keys), (_, k) => {
        most = Math.max(most, k)
        buckets[Math.floor(k / (cfg.num / 10))]++
      })
      expect(most).toBeLessThan(cfg.num)
      expect([...kinds.values()]).toEqual([cfg.ops])
      for (const b of buckets) expect(Math.abs(b - cfg.ops / 10)).toBeLessThan(600) // ~6 sd
    },
  )

  it('readmissing asks only for absent keys; readseq hands out chunks adding up to N', () => {
    expect([...drain(createOpSource('readmissing', cfg, loaded(cfg.num))).keys()]).toEqual([Op.GetMissing])
    let entries = 0
    const kinds = drain(createOpSource('readseq', { ...cfg, scanChunk: 300 }, loaded(cfg.num)), (_, __, len) => {
      expect(len).toBeLessThanOrEqual(300)
      entries += len
    })
    expect(entries).toBe(cfg.num)
    expect(kinds.get(Op.ScanChunk)).toBe(Math.ceil(cfg.num / 300))
  })

  it('fillsync runs N/100 synced puts (at least 1,000, at most N)', () => {
    expect(workloadOps('fillsync', { ...cfg, num: 1_000_000 })).toBe(10_000)
    expect(workloadOps('fillsync', { ...cfg, num: 20_000 })).toBe(1000)
    expect(workloadOps('fillsync', { ...cfg, num: 500 })).toBe(500)
    expect(workloadOps('fillsync64', { ...cfg, num: 1_000_000 })).toBe(80_000)
    expect(workloadOps('fillsync64', { ...cfg, num: 5000 })).toBe(5000)
    expect([...drain(createOpSource('fillsync', cfg, new KeySpace(0))).keys()]).toEqual([Op.SyncPut])
  })

  it('repeats the same sequence for the same seed and changes it with the seed', () => {
    const seq = (seed: number) => {
      const out: number[] = []
      drain(createOpSource('ycsb-a', { ...cfg, ops: 2000, seed }, loaded(cfg.num)), (op, k) => out.push(op, k))
      return out
    }
    expect(seq(5)).toEqual(seq(5))
    expect(seq(5)).not.toEqual(seq(6))
  })
})

describe('YCSB mixes', () => {
  const cases: [WorkloadName, Partial<Record<Op, number>>][] = [
    ['ycsb-a', { [Op.Get]: 0.5, [Op.Update]: 0.5 }],
    ['ycsb-b', { [Op.Get]: 0.95, [Op.Update]: 0.05 }],
    ['ycsb-c', { [Op.Get]: 1 }],
    ['ycsb-d', { [Op.Get]: 0.95, [Op.Insert]: 0.05 }],
    ['ycsb-e', { [Op.Scan]: 0.95, [Op.Insert]: 0.05 }],
    ['ycsb-f', { [Op.Get]: 0.5, [Op.ReadModifyWrite]: 0.5 }],
  ]
  it.each(cases)('%s issues its standard proportions', (w, want) => {
    const kinds = drain(createOpSource(w, cfg, loaded(cfg.num)))
    const total = [...kinds.values()].reduce((a, b) => a + b, 0)
    expect(total).toBe(cfg.ops)
    expect(new Set(kinds.keys())).toEqual(new Set(Object.keys(want).map(Number)))
    for (const [op, share] of Object.entries(want)) expect(kinds.get(Number(op))! / total).toBeCloseTo(share!, 2)
    const mix = YCSB_MIX[w]
    expect(mix.read + mix.update + mix.insert + mix.scan + mix.rmw).toBeCloseTo(1, 10)
  })

  it('chooses existing keys with a skew, and inserts new keys in order after them', () => {
    const keys = loaded(cfg.num)
    const hits = new Uint32Array(cfg.num * 2)
    let nextInsert = cfg.num
    const wrong: string[] = []
    drain(createOpSource('ycsb-e', cfg, keys), (op, k, len) => {
      if (op === Op.Insert) {
        if (k !== nextInsert++) wrong.push(`insert ${k}`)
        keys.add(k)
      } else {
        if (k >= keys.count) wrong.push(`scan from unwritten key ${k}`)
        if (len < 1 || len > 100) wrong.push(`scan length ${len}`)
        hits[k]++
      }
    })
    expect(wrong).toEqual([])
    expect(nextInsert - cfg.num).toBeCloseTo(cfg.ops * 0.05, -3)
    const sorted = [...hits].sort((a, b) => b - a)
    let top = 0
    for (let i = 0; i < cfg.num / 100; i++) top += sorted[i]
    const scans = cfg.ops - (nextInsert - cfg.num)
    // YCSB's scrambled zipfian gives the top 1% of 10,000 keys ≈ ζ(100)/ζ(10^10) ≈ 20% (uniform: 1%).
    expect(top / scans).toBeGreaterThan(0.15)
    expect(top / scans).toBeLessThan(0.25)
  })

  it('YCSB D reads mostly the keys inserted last', () => {
    const keys = loaded(cfg.num)
    let recent = 0
    let reads = 0
    drain(createOpSource('ycsb-d', cfg, keys), (op, k) => {
      if (op === Op.Insert) keys.add(k)
      else {
        reads++
        if (k >= keys.count - 100) recent++
      }
    })
    expect(recent / reads).toBeGreaterThan(0.5) // the newest 100 of ≥ 10,000 keys
  })

  it('YCSB E scans 1 … 100 entries, 50.5 on average', () => {
    let sum = 0
    let scans = 0
    drain(createOpSource('ycsb-e', cfg, loaded(cfg.num)), (op, _, len) => {
      if (op === Op.Scan) {
        sum += len
        scans++
      }
    })
    expect(sum / scans).toBeCloseTo(50.5, 0)
  })
})

describe('KeySpace', () => {
  it('counts live keys through writes, rewrites and deletes', () => {
    const k = new KeySpace(4)
    expect(k.add(3)).toBe(true)
    expect(k.add(3)).toBe(false)
    k.add(10) // grows past its capacity
    expect(k.count).toBe(11)
    expect(k.live).toBe(2)
    k.remove(3)
    k.remove(3)
    k.remove(5)
    expect(k.live).toBe(1)
    expect(k.has(10)).toBe(true)
    expect(k.has(3)).toBe(false)
  })
})
