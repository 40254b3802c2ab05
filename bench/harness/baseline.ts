// A run held against an earlier one (`--baseline results.json`): for every workload and value size
// both ran, one engine's median ops/s now and then, its ratio to a peer now and then, and its peak
// RSS in those runs, with the figures that fell by more than a tolerance marked. It is how "no
// workload falls more than 5% below its figure in RESULTS.md" is checked by a command rather than
// by hand.
//
// Must never: run anything, write a file, or read one but the results.json it is handed
// (readBenchResults; run.ts writes the report); compare figures of different settings silently (a key count, batch, sync mode or compaction that
// differs is said in the section).
//
// Why both columns: the machines these run on change speed by up to 2× from day to day (classic-level's
// own figures moved 1.0–4.0× between two full runs), so the absolute ratio says whether the engine or
// the machine moved only beside the ratio to a peer measured in the same run.

import { readFileSync } from 'node:fs'
import type { EngineName } from '../engines/adapter.js'
import { type BenchResults, cell, fmtOps, fmtSize } from './report.js'
import { WORKLOADS, type WorkloadName } from './workloads.js'

export interface BaselineRow {
  valueSize: number
  workload: WorkloadName
  /** The engine's median ops/s in this run and in the baseline. */
  now: number
  then: number
  /** now / then. */
  ratio: number
  /** The engine's ops/s over the peer's, in this run and in the baseline; undefined without the peer. */
  peerRatioNow: number | undefined
  peerRatioThen: number | undefined
  /** The engine's own figure fell by more than the tolerance. */
  below: boolean
  /** Its ratio to the peer fell by more than the tolerance. */
  peerBelow: boolean
  /** The engine's peak RSS in bytes in the median run, now and then (issue #14's memory target). */
  rssNow: number
  rssThen: number
}

/** A figure below this fraction under the baseline's is marked (RESULTS.md's "more than 5% below"). */
export const BASELINE_TOLERANCE = 0.05

/** "commit abc1234, 2026-12-06, 3 runs of each": which run a results.json holds, for headings. */
export function runLabel(r: BenchResults): string {
  return `commit ${r.meta.commit}, ${r.meta.date.slice(0, 10)}, ${r.config.repeat} run${r.config.repeat === 1 ? '' : 's'} of each`
}

/** Whether a parsed JSON value looks like a results.json this bench wrote (what --baseline takes). */
export function isBenchResults(x: unknown): x is BenchResults {
  if (typeof x !== 'object' || x === null) return false
  const r = x as Partial<BenchResults>
  return typeof r.meta === 'object' && r.meta !== null && typeof r.config === 'object' && r.config !== null &&
    Array.isArray(r.config.valueSizes) && Array.isArray(r.runs)
}

/**
 * The results.json at `file` (what --baseline and bench:compare take). Throws an Error whose message
 * names the file and says what is wrong with it.
 */
export function readBenchResults(file: string): BenchResults {
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'))
  } catch (err) {
    throw new Error(`${file}: cannot be read as JSON (${(err as Error).message})`)
  }
  if (!isBenchResults(parsed)) throw new Error(`${file}: not a results.json written by the bench (no meta, config or runs)`)
  return parsed
}

/**
 * One row per (value size, workload) that `engine` ran in both runs, in the order of this run's value
 * sizes and the canonical workload order. `tolerance` (BASELINE_TOLERANCE, 0.05): a figure below 95% of the
 * baseline's is marked.
 */
export function compareWithBaseline(now: BenchResults, then: BenchResults, engine: EngineName = 'sett',
  peer: EngineName = 'classic-level', tolerance = BASELINE_TOLERANCE): BaselineRow[] {
  const rows: BaselineRow[] = []
  for (const valueSize of now.config.valueSizes) {
    for (const workload of WORKLOADS) {
      const a = cell(now, valueSize, workload, engine)
      const b = cell(then, valueSize, workload, engine)
      if (a === undefined || b === undefined || !(b.step.opsPerSec > 0)) continue
      const pa = cell(now, valueSize, workload, peer)
      const pb = cell(then, valueSize, workload, peer)
      const peerRatioNow = pa !== undefined && pa.step.opsPerSec > 0 ? a.step.opsPerSec / pa.step.opsPerSec : undefined
      const peerRatioThen = pb !== undefined && pb.step.opsPerSec > 0 ? b.step.opsPerSec / pb.step.opsPerSec : undefined
      const ratio = a.step.opsPerSec / b.step.opsPerSec
      rows.push({
        valueSize, workload, now: a.step.opsPerSec, then: b.step.opsPerSec, ratio, peerRatioNow, peerRatioThen,
        below: ratio < 1 - tolerance,
        peerBelow: peerRatioNow !== undefined && peerRatioThen !== undefined && peerRatioNow < peerRatioThen * (1 - tolerance),
        rssNow: a.step.rssPeakBytes, rssThen: b.step.rssPeakBytes,
      })
    }
  }
  return rows
}

/** Settings that differ between the runs and make their figures not comparable one for one. */
export function settingDifferences(now: BenchResults, then: BenchResults): string[] {
  const out: string[] = []
  const a = now.config
  const b = then.config
  a.valueSizes.forEach((valueSize, i) => {
    const j = b.valueSizes.indexOf(valueSize)
    if (j >= 0 && a.nums[i] !== b.nums[j]) out.push(`${fmtSize(valueSize)}: ${a.nums[i].toLocaleString('en-US')} keys now, ${b.nums[j].toLocaleString('en-US')} then`)
  })
  for (const k of ['keySize', 'batch', 'sync', 'compressionRatio', 'durationS', 'threshold'] as const) {
    if (b[k] !== undefined && a[k] !== b[k]) out.push(`${k} ${String(a[k])} now, ${String(b[k])} then`)
  }
  if ((a.memoryBudget ?? null) !== (b.memoryBudget ?? null)) out.push(`memoryBudget ${String(a.memoryBudget ?? 'default')} now, ${String(b.memoryBudget ?? 'default')} then`)
  const compactNow = now.notes.some((n) => n.startsWith('After the fill settled'))
  const compactThen = then.notes.some((n) => n.startsWith('After the fill settled'))
  if (compactNow !== compactThen) out.push(`--after-compact ${compactNow ? 'now' : 'then'} only`)
  return out
}

function mib(bytes: number): string {
  return bytes > 0 ? `${Math.round(bytes / 2 ** 20)} MiB` : '—'
}

function x(r: number | undefined): string {
  return r === undefined ? '—' : `${r.toFixed(2)}×`
}

/** The Markdown section for results.md and the terminal. */
export function baselineSection(rows: BaselineRow[], now: BenchResults, then: BenchResults, file: string,
  engine: EngineName = 'sett', peer: EngineName = 'classic-level', tolerance = BASELINE_TOLERANCE): string {
  const pct = Math.round(tolerance * 100)
  const lines = [
    `### Against the baseline ${file} (${runLabel(then)})`,
    '',
  ]
  const diffs = settingDifferences(now, then)
  if (diffs.length > 0) lines.push(`Settings differ, so these rows are not one for one: ${diffs.join('; ')}.`, '')
  if (rows.length === 0) {
    lines.push(`No workload and value size that ${engine} ran in both runs.`)
    return lines.join('\n') + '\n'
  }
  const below = rows.filter((r) => r.below)
  const peerBelow = rows.filter((r) => r.peerBelow)
  const name = (r: BaselineRow) => `${fmtSize(r.valueSize)} ${r.workload}`
  lines.push(
    `${engine}: ${rows.length - below.length} of ${rows.length} figures are at least ${100 - pct}% of the baseline's` +
      (below.length > 0 ? `; below: ${below.map((r) => `${name(r)} ${r.ratio.toFixed(2)}×`).join(', ')}` : '') + '.',
  )
  const withPeer = rows.filter((r) => r.peerRatioNow !== undefined && r.peerRatioThen !== undefined)
  if (withPeer.length > 0) {
    lines.push(
      `Its ratio to ${peer} in the same run: ${withPeer.length - peerBelow.length} of ${withPeer.length} at least ${100 - pct}% of the baseline's` +
        (peerBelow.length > 0 ? `; below: ${peerBelow.map((r) => `${name(r)} ${x(r.peerRatioThen)} → ${x(r.peerRatioNow)}`).join(', ')}` : '') + '.',
    )
  }
  lines.push('', `| values | workload | ${engine} ops/s now | then | now / then | vs ${peer} now | then | peak RSS now | then |`, '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
  for (const r of rows) {
    const mark = (on: boolean, s: string) => (on ? `**${s}**` : s)
    lines.push(`| ${fmtSize(r.valueSize)} | ${r.workload} | ${fmtOps(r.now)} | ${fmtOps(r.then)} | ${mark(r.below, x(r.ratio))} | ${mark(r.peerBelow, x(r.peerRatioNow))} | ${x(r.peerRatioThen)} | ${mib(r.rssNow)} | ${mib(r.rssThen)} |`)
  }
  return lines.join('\n') + '\n'
}
