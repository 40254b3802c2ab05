// Tables and charts from a made-up run: medians across repeats, Sett's ratios to each peer, the
// amplification columns, and charts with one line (or ladder) per engine per cell.

import { describe, expect, it } from 'vitest'
import type { EngineName } from '../engines/adapter.js'
import { decade, latencySvg, throughputSvg } from './chart.js'
import { type BenchResults, cell, deviceShare, fmtNs, fmtOps, markdownReport, sections, syncedTable } from './report.js'
import type { StepResult } from './runner.js'
import type { WorkloadName } from './workloads.js'

function step(workload: WorkloadName, opsPerSec: number, over: Partial<StepResult> = {}): StepResult {
  const elapsedMs = 1000
  return {
    workload, setup: false, ops: opsPerSec, calls: opsPerSec, elapsedMs, opsPerSec,
    userBytesWritten: workload.startsWith('fill') ? opsPerSec * 116 : 0, userBytesRead: 0, mibPerSec: 1,
    found: 0, notFound: 0,
    latency: { unit: 'op', count: opsPerSec, meanNs: 2000, p50Ns: 1000, p99Ns: 5000, p999Ns: 20_000, maxNs: 1_000_000 },
    writeBytesDuringOps: 0, writeBytes: 0, cancelledWriteBytes: 0, readBytes: 0, settleMs: 0, settleTimedOut: false, writebackMs: 0,
    writeAmp: workload.startsWith('fill') ? 2 : null, dir: { files: 1, apparentBytes: 1, allocatedBytes: 1 }, liveKeys: 1,
    spaceAmp: 1.5, rssPeakBytes: 100 << 20, maxRssBytes: 100 << 20, loopDelayP99Ms: 1, loopDelayMaxMs: 2,
    memoryAtPeak: { rss: 100 << 20, heapTotal: 20 << 20, heapUsed: 10 << 20, external: 5 << 20, arrayBuffers: 4 << 20, status: null, engine: null },
    stalls: null, stallMs: null, engine: null,
    timeline: [[0, 0], [500, opsPerSec / 2], [1000, opsPerSec]],
    rawSync: null,
    ...over,
  }
}

function results(): BenchResults {
  const engines: EngineName[] = ['sett', 'classic-level', 'lmdb']
  const runs: BenchResults['runs'] = []
  // Three repeats; sett's fillrandom at 100 B: 90k, 200k, 100k → the median run is the 100k one.
  const settFill = [90_000, 200_000, 100_000]
  for (let rep = 0; rep < 3; rep++) {
    for (const engine of engines) {
      for (const valueSize of [100, 16384]) {
        const base = engine === 'sett' ? 1 : engine === 'classic-level' ? 0.5 : 2
        const fill = engine === 'sett' && valueSize === 100 ? settFill[rep] : 50_000 * base
        runs.push({
          engine, valueSize, num: 1000, ops: 1000, group: 'fillrandom,readrandom', repeat: rep,
          result: {
            engine, version: '1', notes: [], openMs: 1, closeMs: 1, baselineRssBytes: 1,
            steps: [step('fillrandom', fill, { writeAmp: engine === 'lmdb' ? 3 : 2 }), step('readrandom', 100_000 * base)],
          },
        })
      }
    }
  }
  runs.push({ engine: 'lmdb', valueSize: 100, num: 1000, ops: 1000, group: 'x', repeat: 0, error: 'boom\nstack' })
  return {
    meta: { command: 'npm run bench -- test', date: 'd', commit: 'c', node: 'v20', cpu: 'cpu', cores: 2, memoryGiB: 24, kernel: 'k', procIo: true },
    config: {
      workloads: ['fillrandom', 'readrandom'], valueSizes: [100, 16384], nums: [1000, 1000], ops: [1000, 1000], keySize: 16, batch: 100,
      sync: false, compressionRatio: 0.5, threshold: null, engines, seed: 1, durationS: null, repeat: 3, db: '/tmp',
    },
    device: { dir: '/tmp', seqWriteMiB: 64, seqWriteMiBPerSec: 1000, syncAppends: 4000, syncAppendsPerSec: 4000 },
    peers: { 'classic-level': { ok: true, version: '3.0.0', installed: false }, lmdb: { ok: true, version: '3.5.6', installed: false } },
    notes: [],
    runs,
  }
}

describe('report', () => {
  it('takes the median run across repeats', () => {
    const c = cell(results(), 100, 'fillrandom', 'sett')!
    expect(c.step.opsPerSec).toBe(100_000)
    expect(c.opsPerSec).toEqual([90_000, 100_000, 200_000])
  })

  it('gives sett/peer ratios and the amplification of every engine', () => {
    const [s100] = sections(results())
    expect(s100.summary.header).toEqual([
      'workload', 'sett ops/s', 'classic-level ops/s', 'lmdb ops/s', 'sett/classic-level', 'sett/lmdb',
      'write amp (sett · classic · lmdb)', 'space amp (sett · classic · lmdb)',
    ])
    expect(s100.summary.rows).toEqual([
      ['fillrandom', '100k', '25.0k', '100k', '4.00×', '1.00×', '2.00 · 2.00 · 3.00', '1.50 · 1.50 · 1.50'],
      ['readrandom', '100k', '50.0k', '200k', '2.00×', '0.50×', '— · — · —', '1.50 · 1.50 · 1.50'],
    ])
    for (const r of s100.detail.rows) expect(r.length).toBe(s100.detail.header.length)
    expect(s100.detail.rows[0][2]).toBe('100k (90.0k–200k)') // the spread over repeats
  })

  it('renders Markdown tables with the failed runs listed', () => {
    const md = markdownReport(results())
    expect(md).toContain('| fillrandom | 100k | 25.0k | 100k | 4.00× | 1.00× |')
    expect(md).toContain('- lmdb, 100 B, x: boom')
    expect(md).toContain('sequential write 1,000 MiB/s')
  })

  it('reads a synced workload against fsyncs/s and the rest against bandwidth', () => {
    const r = results()
    expect(deviceShare(step('fillsync', 2000), r.device, true)).toBeCloseTo(0.5, 10)
    const s = step('fillrandom', 1000, { writeBytesDuringOps: 500 * 1048576, elapsedMs: 1000, userBytesWritten: 1 })
    expect(deviceShare(s, r.device, false)).toBeCloseTo(0.5, 10)
  })

  it('holds each synced run against the raw loop of its own child: the median of the per-run ratios', () => {
    const r = results()
    // Run ratios 0.5, 0.9, 0.8 (callback loop) → median 0.8; the medians of ops/s and raw alone would give 0.9.
    const figures = [[1000, 2000, 4000], [1800, 2000, 3600], [3200, 4000, 6000]]
    for (const [rep, [ops, rawAsync, rawSync]] of figures.entries()) {
      r.runs.push({
        engine: 'sett', valueSize: 100, num: 1000, ops: 1000, group: 'fillsync', repeat: rep,
        result: {
          engine: 'sett', version: '1', notes: [], openMs: 1, closeMs: 1, baselineRssBytes: 1,
          steps: [step('fillsync', ops, { rawSync: { recordBytes: 116, asyncPerSec: rawAsync, syncPerSec: rawSync } })],
        },
      })
    }
    const t = syncedTable(r, 100)
    expect(t.rows).toEqual([['fillsync', 'sett', '1,800', '2,000', '0.80×', '4,000', '0.50×', '116 B']])
    expect(syncedTable(r, 16384).rows).toEqual([])
    expect(markdownReport(r)).toContain('| fillsync | sett | 1,800 | 2,000 | 0.80× | 4,000 | 0.50× | 116 B |')
  })

  it('draws one line per engine per cell, and one ladder of percentiles', () => {
    const t = throughputSvg(results())
    expect(t.match(/<polyline /g)!.length).toBe(2 * 2 * 3) // workloads × value sizes × engines
    expect(t).not.toMatch(/NaN|Infinity|undefined/)
    const l = latencySvg(results())
    expect(l.match(/<circle /g)!.length).toBe(2 * 2 * 3 + 1) // p50 marks, plus the legend's
    expect(l).not.toMatch(/NaN|Infinity|undefined/)
    expect(l.startsWith('<svg')).toBe(true)
  })

  it('formats numbers for people', () => {
    expect([fmtOps(1_234_567), fmtOps(345_678), fmtOps(12_345), fmtOps(2500), fmtOps(12.34)]).toEqual(['1.23M', '346k', '12.3k', '2,500', '12.3'])
    expect([0, 2, 3, 5, 7, 9, 10].map(decade)).toEqual(['1 ns', '100 ns', '1 µs', '100 µs', '10 ms', '1 s', '10 s'])
    expect([fmtNs(850), fmtNs(1500), fmtNs(25_000), fmtNs(3_200_000), fmtNs(2.5e9)]).toEqual(['850 ns', '1.50 µs', '25.0 µs', '3.20 ms', '2.50 s'])
  })
})
