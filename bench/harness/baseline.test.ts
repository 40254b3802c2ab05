// A run held against a baseline: medians across repeats on both sides, the ratio to the peer in
// each run, the marks at the tolerance, rows only where both runs have the figure, and the settings
// that differ said in the section.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { EngineName } from '../engines/adapter.js'
import { baselineSection, compareWithBaseline, isBenchResults, readBenchResults, settingDifferences } from './baseline.js'
import type { BenchResults } from './report.js'
import type { StepResult } from './runner.js'
import type { WorkloadName } from './workloads.js'

function step(workload: WorkloadName, opsPerSec: number): StepResult {
  // The peak RSS follows the figure, so a row's RSS says which run was the median.
  return { workload, setup: false, opsPerSec, rssPeakBytes: opsPerSec * 2 ** 20 } as StepResult
}

/** ops[engine][valueSize][workload] = ops/s of each repeat. */
function results(ops: Partial<Record<EngineName, Record<number, Partial<Record<WorkloadName, number[]>>>>>, over: Partial<BenchResults['config']> = {}): BenchResults {
  const runs: BenchResults['runs'] = []
  const sizes = new Set<number>()
  let repeat = 1
  for (const [engine, bySize] of Object.entries(ops) as [EngineName, Record<number, Partial<Record<WorkloadName, number[]>>>][]) {
    for (const [size, byWorkload] of Object.entries(bySize)) {
      sizes.add(Number(size))
      for (const [workload, figures] of Object.entries(byWorkload) as [WorkloadName, number[]][]) {
        repeat = Math.max(repeat, figures.length)
        figures.forEach((f, rep) => runs.push({
          engine, valueSize: Number(size), num: 1000, ops: 1000, group: workload, repeat: rep,
          result: { engine, version: 'x', notes: [], steps: [step(workload, f)], openMs: 0, closeMs: 0, baselineRssBytes: 0 },
        }))
      }
    }
  }
  const valueSizes = [...sizes].sort((a, b) => a - b)
  return {
    meta: { command: 'x', date: '2026-12-06T00:00:00.000Z', commit: 'abc1234', node: 'v20', cpu: 'x', cores: 2, memoryGiB: 1, kernel: 'x', procIo: true },
    config: {
      workloads: [], valueSizes, nums: valueSizes.map(() => 1000), ops: valueSizes.map(() => 1000), keySize: 16, batch: 100,
      sync: false, compressionRatio: 0.5, engines: Object.keys(ops) as EngineName[], seed: 1, repeat, db: '/tmp', threshold: null,
      durationS: 10, ...over,
    },
    device: null, peers: {}, notes: [], runs,
  }
}

describe('compareWithBaseline', () => {
  const then = results({
    sett: { 100: { fillrandom: [100, 300, 200], readrandom: [1000] }, 4096: { readseq: [50] } },
    'classic-level': { 100: { fillrandom: [100], readrandom: [1000] } },
  })
  const now = results({
    // fillrandom's median 190 (95% of 200: not marked); readrandom 940 (< 950: marked).
    sett: { 100: { fillrandom: [190, 10, 999], readrandom: [940], readseq: [7] }, 4096: { readseq: [60] } },
    'classic-level': { 100: { fillrandom: [50], readrandom: [1000] } },
  })

  it('compares medians of each side and marks figures below the tolerance', () => {
    const rows = compareWithBaseline(now, then)
    const fill = rows.find((r) => r.valueSize === 100 && r.workload === 'fillrandom')!
    expect(fill.now).toBe(190)
    expect(fill.then).toBe(200)
    expect(fill.ratio).toBeCloseTo(0.95)
    expect(fill.below).toBe(false)
    expect(fill.rssNow).toBe(190 * 2 ** 20)
    expect(fill.rssThen).toBe(200 * 2 ** 20)
    const read = rows.find((r) => r.workload === 'readrandom')!
    expect(read.ratio).toBeCloseTo(0.94)
    expect(read.below).toBe(true)
  })

  it('holds the ratio to the peer of each run beside it', () => {
    const rows = compareWithBaseline(now, then)
    const fill = rows.find((r) => r.workload === 'fillrandom')!
    expect(fill.peerRatioNow).toBeCloseTo(190 / 50)
    expect(fill.peerRatioThen).toBeCloseTo(2)
    expect(fill.peerBelow).toBe(false)
    const read = rows.find((r) => r.workload === 'readrandom')!
    expect(read.peerBelow).toBe(true)
    const big = rows.find((r) => r.valueSize === 4096)!
    expect(big.peerRatioNow).toBeUndefined()
    expect(big.peerBelow).toBe(false)
  })

  it('has rows only where both runs have the figure', () => {
    const rows = compareWithBaseline(now, then)
    expect(rows.map((r) => `${r.valueSize} ${r.workload}`)).toEqual(['100 fillrandom', '100 readrandom', '4096 readseq'])
  })

  it('says what fell and which settings differ', () => {
    const other = results({ sett: { 100: { readrandom: [1000] } } }, { batch: 10 })
    expect(settingDifferences(now, other)).toEqual(['batch 100 now, 10 then'])
    const md = baselineSection(compareWithBaseline(now, then), now, then, 'base.json')
    expect(md).toContain('sett: 2 of 3 figures are at least 95% of the baseline\'s; below: 100 B readrandom 0.94×.')
    expect(md).toContain('Its ratio to classic-level in the same run: 1 of 2 at least 95% of the baseline\'s; below: 100 B readrandom 1.00× → 0.94×.')
    expect(md).toContain('| 100 B | readrandom | 940 | 1,000 | **0.94×** | **0.94×** | 1.00× | 940 MiB | 1000 MiB |')
    expect(baselineSection([], now, other, 'b.json')).toContain('Settings differ')
  })

  it('takes only what looks like a results.json', () => {
    expect(isBenchResults(then)).toBe(true)
    expect(isBenchResults({ runs: [] })).toBe(false)
    expect(isBenchResults(null)).toBe(false)
    expect(isBenchResults([1])).toBe(false)
  })

  it('reads a results.json from a file and names the file when it cannot', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sett-baseline-'))
    try {
      const good = join(dir, 'results.json')
      writeFileSync(good, JSON.stringify(then))
      expect(readBenchResults(good).meta.commit).toBe('abc1234')
      const notJson = join(dir, 'broken.json')
      writeFileSync(notJson, '{"meta":')
      expect(() => readBenchResults(notJson)).toThrow(`${notJson}: cannot be read as JSON`)
      const other = join(dir, 'package.json')
      writeFileSync(other, '{"name":"x"}')
      expect(() => readBenchResults(other)).toThrow(`${other}: not a results.json written by the bench`)
      expect(() => readBenchResults(join(dir, 'missing.json'))).toThrow('ENOENT')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
