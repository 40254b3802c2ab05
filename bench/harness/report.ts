// The results of a bench run and the tables made from them: medians across repeats, the summary
// (ops/s per engine, Sett's ratio to each peer, write and space amplification) and the detail (every
// metric per engine), rendered as Markdown for the terminal and RESULTS.md, and as HTML.

import type { EngineName } from '../engines/adapter.js'
import type { BenchConfig } from './args.js'
import type { DeviceProbe } from './device.js'
import { deviceFraction } from './metrics.js'
import type { PeerStatus } from './peers.js'
import type { GroupResult, StepResult } from './runner.js'
import { WORKLOADS, type WorkloadName, isSyncedWorkload } from './workloads.js'

export interface RunRecord {
  engine: EngineName
  valueSize: number
  num: number
  ops: number
  group: string
  repeat: number
  result?: GroupResult
  error?: string
}

export interface BenchMeta {
  command: string
  date: string
  commit: string
  node: string
  cpu: string
  cores: number
  memoryGiB: number
  kernel: string
  procIo: boolean
}

export interface BenchResults {
  meta: BenchMeta
  /** The run's settings, as JSON holds them (unset numbers as null). */
  config: Pick<BenchConfig, 'workloads' | 'valueSizes' | 'nums' | 'ops' | 'keySize' | 'batch' | 'sync' |
    'compressionRatio' | 'engines' | 'seed' | 'repeat' | 'db'> & { threshold: number | null; durationS: number | null; memoryBudget?: number | null; appHeapMiB?: number }
  device: DeviceProbe | null
  peers: Partial<Record<EngineName, PeerStatus>>
  notes: string[]
  runs: RunRecord[]
}

/** One engine's figure for one workload at one value size: the median run by ops/s. */
export interface Cell {
  step: StepResult
  /** ops/s of every repeat, for the spread. */
  opsPerSec: number[]
}

export function cell(results: BenchResults, valueSize: number, workload: WorkloadName, engine: EngineName): Cell | undefined {
  const steps: StepResult[] = []
  for (const r of results.runs) {
    if (r.engine !== engine || r.valueSize !== valueSize || !r.result) continue
    for (const s of r.result.steps) if (s.workload === workload && !s.setup) steps.push(s)
  }
  if (steps.length === 0) return undefined
  steps.sort((a, b) => a.opsPerSec - b.opsPerSec)
  // The lower middle for an even count: a real run, not an average of two.
  return { step: steps[(steps.length - 1) >> 1], opsPerSec: steps.map((s) => s.opsPerSec) }
}

/** Workloads that have at least one figure at this value size, in the canonical order. */
export function workloadsAt(results: BenchResults, valueSize: number): WorkloadName[] {
  return WORKLOADS.filter((w) => results.config.engines.some((e) => cell(results, valueSize, w, e) !== undefined))
}

// ---------------------------------------------------------------- formatting

export function fmtOps(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return '—'
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)}M`
  if (x >= 1e5) return `${Math.round(x / 1e3)}k`
  if (x >= 1e4) return `${(x / 1e3).toFixed(1)}k`
  if (x >= 100) return Math.round(x).toLocaleString('en-US')
  return x.toFixed(1)
}

export function fmtNs(ns: number | undefined): string {
  if (ns === undefined || !Number.isFinite(ns)) return '—'
  if (ns < 1e3) return `${Math.round(ns)} ns`
  if (ns < 1e6) return `${(ns / 1e3).toFixed(ns < 1e4 ? 2 : 1)} µs`
  if (ns < 1e9) return `${(ns / 1e6).toFixed(ns < 1e7 ? 2 : 1)} ms`
  return `${(ns / 1e9).toFixed(2)} s`
}

export function fmtBytes(b: number): string {
  if (b >= 1 << 30) return `${(b / (1 << 30)).toFixed(2)} GiB`
  if (b >= 1 << 20) return `${(b / (1 << 20)).toFixed(b >= 100 << 20 ? 0 : 1)} MiB`
  if (b >= 1 << 10) return `${(b / (1 << 10)).toFixed(1)} KiB`
  return `${b} B`
}

export function fmtSize(b: number): string {
  if (b >= 1 << 20 && b % (1 << 20) === 0) return `${b >> 20} MiB`
  if (b >= 1 << 10 && b % (1 << 10) === 0) return `${b >> 10} KiB`
  return `${b} B`
}

function fmtAmp(x: number | null | undefined): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(2)
}

function fmtRatio(a: Cell | undefined, b: Cell | undefined): string {
  if (!a || !b || !(b.step.opsPerSec > 0)) return '—'
  return `${(a.step.opsPerSec / b.step.opsPerSec).toFixed(2)}×`
}

function fmtPct(x: number): string {
  return Number.isFinite(x) ? `${(x * 100).toFixed(x < 0.1 ? 1 : 0)}%` : '—'
}

/** The share of the device a step used: synced ops over fsyncs/s, else written bytes over bandwidth. */
export function deviceShare(s: StepResult, device: DeviceProbe | null, synced: boolean): number {
  if (!device) return Number.NaN
  if (synced) return s.opsPerSec / device.syncAppendsPerSec
  if (s.userBytesWritten === 0) return Number.NaN
  return deviceFraction(s.writeBytesDuringOps / (s.elapsedMs / 1000), device.seqWriteMiBPerSec * 1048576)
}

// ---------------------------------------------------------------- tables

export interface Table {
  header: string[]
  rows: string[][]
  /** Leading text columns (left-aligned); the rest are figures. */
  textColumns: number
}

export interface Section {
  valueSize: number
  num: number
  title: string
  summary: Table
  detail: Table
  /** Synced workloads against the raw append + fdatasync loop measured around each of them. */
  synced: Table
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b)
  return s.length === 0 ? Number.NaN : s[(s.length - 1) >> 1]
}

/**
 * Each synced workload's ops/s over the raw loop's rate from the same child (so the same minute of
 * the machine), the median of those per-run ratios across repeats.
 */
export function syncedTable(results: BenchResults, valueSize: number): Table {
  const rows: string[][] = []
  for (const w of WORKLOADS.filter(isSyncedWorkload)) {
    for (const e of results.config.engines) {
      const steps: StepResult[] = []
      for (const r of results.runs) {
        if (r.engine !== e || r.valueSize !== valueSize || !r.result) continue
        for (const st of r.result.steps) if (st.workload === w && !st.setup && st.rawSync) steps.push(st)
      }
      if (steps.length === 0) continue
      const raw = steps[0].rawSync!
      rows.push([
        w, e,
        fmtOps(median(steps.map((st) => st.opsPerSec))),
        fmtOps(median(steps.map((st) => st.rawSync!.asyncPerSec))),
        `${median(steps.map((st) => st.opsPerSec / st.rawSync!.asyncPerSec)).toFixed(2)}×`,
        fmtOps(median(steps.map((st) => st.rawSync!.syncPerSec))),
        `${median(steps.map((st) => st.opsPerSec / st.rawSync!.syncPerSec)).toFixed(2)}×`,
        `${raw.recordBytes} B`,
      ])
    }
  }
  return {
    textColumns: 2,
    header: ['workload', 'engine', 'ops/s', 'raw loop (fs.fdatasync)/s', 'ratio', 'raw loop (fdatasyncSync)/s', 'ratio', 'record'],
    rows,
  }
}

const SHORT: Record<EngineName, string> = { sett: 'sett', 'classic-level': 'classic', lmdb: 'lmdb' }

export function sections(results: BenchResults): Section[] {
  const engines = results.config.engines
  const peers = engines.filter((e) => e !== 'sett')
  const hasSett = engines.includes('sett')
  return results.config.valueSizes.map((valueSize, i) => {
    const num = results.config.nums[i]
    const workloads = workloadsAt(results, valueSize)
    const engineList = engines.map((e) => SHORT[e]).join(' · ')
    const summary: Table = {
      textColumns: 1,
      header: [
        'workload',
        ...engines.map((e) => `${e} ops/s`),
        ...(hasSett ? peers.map((p) => `sett/${p}`) : []),
        `write amp (${engineList})`,
        `space amp (${engineList})`,
      ],
      rows: workloads.map((w) => {
        const cells = engines.map((e) => cell(results, valueSize, w, e))
        const sett = cells[engines.indexOf('sett')]
        return [
          w,
          ...cells.map((c) => fmtOps(c?.step.opsPerSec)),
          ...(hasSett ? peers.map((p) => fmtRatio(sett, cells[engines.indexOf(p)])) : []),
          cells.map((c) => fmtAmp(c?.step.writeAmp)).join(' · '),
          cells.map((c) => fmtAmp(c?.step.spaceAmp)).join(' · '),
        ]
      }),
    }
    const detail: Table = {
      textColumns: 2,
      header: ['workload', 'engine', 'ops/s', 'MiB/s', 'p50', 'p99', 'p99.9', 'max', 'write amp', 'space amp', 'device', 'peak RSS', 'loop p99', 'stalls', 'settle'],
      rows: [],
    }
    for (const w of workloads) {
      for (const e of engines) {
        const c = cell(results, valueSize, w, e)
        if (!c) continue
        const s = c.step
        const spread = c.opsPerSec.length > 1
          ? ` (${fmtOps(Math.min(...c.opsPerSec))}–${fmtOps(Math.max(...c.opsPerSec))})`
          : ''
        const synced = isSyncedWorkload(w) || results.config.sync
        detail.rows.push([
          w,
          e,
          fmtOps(s.opsPerSec) + spread,
          s.mibPerSec.toFixed(1),
          fmtNs(s.latency.p50Ns),
          fmtNs(s.latency.p99Ns),
          fmtNs(s.latency.p999Ns),
          fmtNs(s.latency.maxNs),
          fmtAmp(s.writeAmp),
          fmtAmp(s.spaceAmp),
          s.userBytesWritten > 0 ? fmtPct(deviceShare(s, results.device, synced)) : '—',
          fmtBytes(s.rssPeakBytes),
          `${s.loopDelayP99Ms.toFixed(1)} ms`,
          s.stalls === null ? '—' : `${s.stalls} (${Math.round(s.stallMs ?? 0)} ms)`,
          `${(s.settleMs / 1000).toFixed(1)} s${s.settleTimedOut ? ' (not quiescent)' : ''}`,
        ])
      }
    }
    const ops = results.config.ops[i]
    const title = `${fmtSize(valueSize)} values, ${num.toLocaleString('en-US')} keys` +
      (ops !== num ? `, ${ops.toLocaleString('en-US')} ops` : '')
    return { valueSize, num, title, summary, detail, synced: syncedTable(results, valueSize) }
  })
}

export function markdownTable(t: Table): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|')
  const lines = [`| ${t.header.map(esc).join(' | ')} |`, `|${t.header.map((_, i) => (i < t.textColumns ? ' --- ' : ' ---: ')).join('|')}|`]
  for (const r of t.rows) lines.push(`| ${r.map(esc).join(' | ')} |`)
  return lines.join('\n')
}

/** Lines about the run: machine, device, peers, notes. */
export function preamble(results: BenchResults): string[] {
  const m = results.meta
  const out = [
    `Command: \`${m.command}\``,
    `Commit ${m.commit}, ${m.date}; Node ${m.node}; ${m.cores} × ${m.cpu}, ${m.memoryGiB} GiB; Linux ${m.kernel}.`,
  ]
  const d = results.device
  if (d) {
    out.push(`Device (${d.dir}): sequential write ${Math.round(d.seqWriteMiBPerSec).toLocaleString('en-US')} MiB/s ` +
      `(${d.seqWriteMiB} MiB + fdatasync), ${Math.round(d.syncAppendsPerSec).toLocaleString('en-US')} synced 4 KiB appends/s.`)
  }
  for (const [engine, st] of Object.entries(results.peers)) {
    out.push(st!.ok ? `${engine} ${st!.version}` : `${engine}: not run — ${st!.reason}`)
  }
  // What each adapter chose (e.g. lmdb's noSync, Sett's valueThreshold), once per engine.
  for (const engine of results.config.engines) {
    const notes = new Set(results.runs.filter((r) => r.engine === engine && r.result).flatMap((r) => r.result!.notes))
    if (notes.size > 0) out.push(`${engine}: ${[...notes].join('; ')}`)
  }
  out.push(...results.notes)
  return out
}

export function markdownReport(results: BenchResults, options: { detail?: boolean; heading?: string } = {}): string {
  const parts: string[] = []
  if (options.heading) parts.push(`${options.heading}\n`)
  parts.push(preamble(results).map((l) => `${l}  `).join('\n'))
  for (const s of sections(results)) {
    parts.push(`\n### ${s.title}\n`)
    parts.push(markdownTable(s.summary))
    if (s.synced.rows.length > 0) {
      parts.push('\nSynced writes against a plain append + fdatasync loop of the same record size, measured in the same child before and after (ratios: medians of the per-run ratios):\n')
      parts.push(markdownTable(s.synced))
    }
    if (options.detail !== false && s.detail.rows.length > 0) {
      parts.push('')
      parts.push(markdownTable(s.detail))
    }
  }
  const failed = results.runs.filter((r) => r.error)
  if (failed.length > 0) {
    parts.push('\nFailed runs:\n')
    for (const r of failed) parts.push(`- ${r.engine}, ${fmtSize(r.valueSize)}, ${r.group}: ${r.error!.split('\n')[0]}`)
  }
  return parts.join('\n') + '\n'
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

function htmlTable(t: Table): string {
  const head = `<tr>${t.header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`
  const rows = t.rows.map((r) => `<tr>${r.map((c, i) => `<td${i >= t.textColumns ? ' class="n"' : ''}>${escapeHtml(c)}</td>`).join('')}</tr>`)
  return `<table>${head}${rows.join('')}</table>`
}

/** One self-contained page: the run, the charts (inline SVG) and the tables. */
export function htmlReport(results: BenchResults, charts: string[]): string {
  const body = [
    '<h1>Sett benchmark</h1>',
    `<p>${preamble(results).map(escapeHtml).join('<br>')}</p>`,
    ...charts.map((svg) => `<div class="chart">${svg}</div>`),
    ...sections(results).map((s) => `<h2>${escapeHtml(s.title)}</h2>${htmlTable(s.summary)}${s.synced.rows.length > 0 ? `<h3>synced writes vs a raw append + fdatasync loop</h3>${htmlTable(s.synced)}` : ''}<h3>detail</h3>${htmlTable(s.detail)}`),
  ]
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sett benchmark ${escapeHtml(results.meta.date)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; }
table { border-collapse: collapse; margin: 8px 0 20px; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: 3px 8px; }
th { background: #f3f3f3; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
.chart { margin: 16px 0; overflow-x: auto; }
</style></head><body>
${body.join('\n')}
</body></html>
`
}
