// Charts of a bench run as self-contained SVG (no scripts, no fonts to fetch): a grid with one
// cell per workload (rows) and value size (columns). throughputSvg draws ops/s over time per
// engine, so stalls show as dips; latencySvg draws p50, p99, p99.9 and max per engine on a log
// scale. Each cell uses the median run (report.ts's cell()).

import type { EngineName } from '../engines/adapter.js'
import { throughputSeries } from './metrics.js'
import { type BenchResults, cell, fmtOps, fmtSize } from './report.js'
import { WORKLOADS, type WorkloadName } from './workloads.js'

export const ENGINE_COLORS: Record<EngineName, string> = { sett: '#1f6fd1', 'classic-level': '#e8780c', lmdb: '#2b9a3e' }

const CELL_W = 330
const CELL_H = 180
const PAD = { left: 52, right: 12, top: 26, bottom: 30 }
const HEADER = 58

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** A round step near range/4 (1, 2 or 5 × a power of ten). */
export function niceStep(range: number): number {
  if (!(range > 0)) return 1
  const raw = range / 4
  const p = 10 ** Math.floor(Math.log10(raw))
  const m = raw / p
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p
}

function grid(results: BenchResults): { rows: WorkloadName[]; cols: number[] } {
  const rows = WORKLOADS.filter((w) =>
    results.config.valueSizes.some((v) => results.config.engines.some((e) => cell(results, v, w, e) !== undefined)))
  return { rows, cols: results.config.valueSizes }
}

function frame(title: string, subtitle: string, rows: number, cols: number, legend: string, body: string[]): string {
  const width = Math.max(cols * CELL_W + 20, 720)
  const height = HEADER + rows * CELL_H + 10
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">
<rect width="100%" height="100%" fill="#fff"/>
<text x="10" y="20" font-size="15" font-weight="bold">${esc(title)}</text>
<text x="10" y="37" fill="#555">${esc(subtitle)}</text>
${legend}
${body.join('\n')}
</svg>
`
}

function engineLegend(engines: EngineName[], x: number, y: number, extra = ''): string {
  const items = engines.map((e, i) =>
    `<g transform="translate(${x + i * 120},${y})"><rect width="18" height="4" y="-4" fill="${ENGINE_COLORS[e]}"/><text x="24" y="0">${esc(e)}</text></g>`)
  return items.join('') + extra
}

/** Evenly thinned cumulative samples, so a long run draws a few hundred points, not thousands. */
function thin(samples: readonly [number, number][], most: number): [number, number][] {
  if (samples.length <= most) return [...samples]
  const step = Math.ceil(samples.length / most)
  const out: [number, number][] = []
  for (let i = 0; i < samples.length; i += step) out.push(samples[i])
  if (out[out.length - 1] !== samples[samples.length - 1]) out.push(samples[samples.length - 1])
  return out
}

export function throughputSvg(results: BenchResults): string {
  const { rows, cols } = grid(results)
  const engines = results.config.engines
  const body: string[] = []
  rows.forEach((w, r) => {
    cols.forEach((v, c) => {
      const x0 = 10 + c * CELL_W
      const y0 = HEADER + r * CELL_H
      const pw = CELL_W - PAD.left - PAD.right
      const ph = CELL_H - PAD.top - PAD.bottom
      const series: { engine: EngineName; points: [number, number][] }[] = []
      for (const e of engines) {
        const ce = cell(results, v, w, e)
        if (!ce) continue
        let pts = throughputSeries(thin(ce.step.timeline, 160))
        // Too short to sample: one flat segment at the average rate.
        if (pts.length < 2) pts = [[0, ce.step.opsPerSec], [ce.step.elapsedMs, ce.step.opsPerSec]]
        series.push({ engine: e, points: pts.map(([t, y]) => [t / 1000, y]) })
      }
      body.push(`<g transform="translate(${x0},${y0})">`)
      body.push(`<text x="${PAD.left}" y="16" font-weight="bold">${esc(w)} · ${esc(fmtSize(v))}</text>`)
      if (series.length === 0) {
        body.push(`<text x="${PAD.left + 10}" y="${PAD.top + ph / 2}" fill="#999">no data</text></g>`)
        return
      }
      const maxT = Math.max(...series.flatMap((s) => s.points.map((p) => p[0])), 0.001)
      const maxY = Math.max(...series.flatMap((s) => s.points.map((p) => p[1])), 1) * 1.08
      const sx = (t: number) => PAD.left + (t / maxT) * pw
      const sy = (y: number) => PAD.top + ph - (y / maxY) * ph
      body.push(`<rect x="${PAD.left}" y="${PAD.top}" width="${pw}" height="${ph}" fill="#fafafa" stroke="#ddd"/>`)
      const ys = niceStep(maxY)
      for (let y = 0; y <= maxY; y += ys) {
        body.push(`<line x1="${PAD.left}" x2="${PAD.left + pw}" y1="${sy(y).toFixed(1)}" y2="${sy(y).toFixed(1)}" stroke="#e6e6e6"/>`)
        body.push(`<text x="${PAD.left - 4}" y="${(sy(y) + 4).toFixed(1)}" text-anchor="end" fill="#555">${fmtOps(y)}</text>`)
      }
      const xs = niceStep(maxT)
      for (let t = 0; t <= maxT + 1e-9; t += xs) {
        body.push(`<text x="${sx(t).toFixed(1)}" y="${PAD.top + ph + 14}" text-anchor="middle" fill="#555">${+t.toFixed(3)}</text>`)
      }
      body.push(`<text x="${PAD.left + pw}" y="${PAD.top + ph + 26}" text-anchor="end" fill="#777">seconds</text>`)
      for (const s of series) {
        const d = s.points.map(([t, y]) => `${sx(t).toFixed(1)},${sy(y).toFixed(1)}`).join(' ')
        body.push(`<polyline points="${d}" fill="none" stroke="${ENGINE_COLORS[s.engine]}" stroke-width="1.6" stroke-linejoin="round"/>`)
      }
      body.push('</g>')
    })
  })
  return frame(
    'Throughput over time (ops/s; readseq: entries/s)',
    'One line per engine, sampled every 100 ms; a dip is a stall or a pause. Median run of each cell.',
    rows.length, cols.length, engineLegend(engines, 10, 52), body,
  )
}

const MARKS = [
  { key: 'p50Ns', label: 'p50', shape: (x: number, y: number, c: string) => `<circle cx="${x}" cy="${y}" r="3.5" fill="${c}"/>` },
  { key: 'p99Ns', label: 'p99', shape: (x: number, y: number, c: string) => `<rect x="${x - 3.5}" y="${y - 3.5}" width="7" height="7" fill="${c}"/>` },
  { key: 'p999Ns', label: 'p99.9', shape: (x: number, y: number, c: string) => `<path d="M${x} ${y - 5}L${x + 5} ${y}L${x} ${y + 5}L${x - 5} ${y}Z" fill="${c}"/>` },
  { key: 'maxNs', label: 'max', shape: (x: number, y: number, c: string) => `<path d="M${x - 4} ${y - 4}L${x + 4} ${y + 4}M${x - 4} ${y + 4}L${x + 4} ${y - 4}" stroke="${c}" stroke-width="1.8"/>` },
] as const

/** A power of ten of nanoseconds as a tick label: 100 ns, 1 µs, 10 µs, …, 10 s. */
export function decade(p: number): string {
  const units = ['ns', 'µs', 'ms', 's']
  const u = Math.min(Math.max(Math.floor(p / 3), 0), units.length - 1)
  return `${10 ** (p - u * 3)} ${units[u]}`
}

export function latencySvg(results: BenchResults): string {
  const { rows, cols } = grid(results)
  const engines = results.config.engines
  const body: string[] = []
  rows.forEach((w, r) => {
    cols.forEach((v, c) => {
      const x0 = 10 + c * CELL_W
      const y0 = HEADER + r * CELL_H
      const left = 70
      const pw = CELL_W - left - PAD.right
      const ph = CELL_H - PAD.top - PAD.bottom
      const found = engines.map((e) => ({ e, ce: cell(results, v, w, e) })).filter((x) => x.ce !== undefined)
      body.push(`<g transform="translate(${x0},${y0})">`)
      const unit = found[0]?.ce?.step.latency.unit
      body.push(`<text x="${left}" y="16" font-weight="bold">${esc(w)} · ${esc(fmtSize(v))}${unit && unit !== 'op' ? ` (per ${unit})` : ''}</text>`)
      if (found.length === 0) {
        body.push(`<text x="${left + 10}" y="${PAD.top + ph / 2}" fill="#999">no data</text></g>`)
        return
      }
      const values = found.flatMap(({ ce }) => [ce!.step.latency.p50Ns, ce!.step.latency.maxNs]).filter((x) => x > 0)
      const lo = Math.floor(Math.log10(Math.min(...values)))
      const hi = Math.max(Math.ceil(Math.log10(Math.max(...values))), lo + 1)
      const sx = (ns: number) => left + ((Math.log10(Math.max(ns, 1)) - lo) / (hi - lo)) * pw
      body.push(`<rect x="${left}" y="${PAD.top}" width="${pw}" height="${ph}" fill="#fafafa" stroke="#ddd"/>`)
      for (let p = lo; p <= hi; p++) {
        const x = sx(10 ** p).toFixed(1)
        body.push(`<line x1="${x}" x2="${x}" y1="${PAD.top}" y2="${PAD.top + ph}" stroke="#e6e6e6"/>`)
        body.push(`<text x="${x}" y="${PAD.top + ph + 14}" text-anchor="middle" fill="#555">${decade(p)}</text>`)
      }
      const rowH = ph / engines.length
      engines.forEach((e, i) => {
        const y = PAD.top + rowH * (i + 0.5)
        body.push(`<text x="${left - 6}" y="${y + 4}" text-anchor="end" fill="#333">${esc(e)}</text>`)
        const ce = cell(results, v, w, e)
        if (!ce) {
          body.push(`<text x="${left + 6}" y="${y + 4}" fill="#aaa">—</text>`)
          return
        }
        const l = ce.step.latency
        const color = ENGINE_COLORS[e]
        body.push(`<line x1="${sx(l.p50Ns).toFixed(1)}" x2="${sx(l.maxNs).toFixed(1)}" y1="${y}" y2="${y}" stroke="${color}" stroke-opacity="0.5" stroke-width="2"/>`)
        for (const m of MARKS) body.push(m.shape(+sx(l[m.key]).toFixed(1), y, color))
      })
      body.push('</g>')
    })
  })
  const markLegend = MARKS.map((m, i) =>
    `<g transform="translate(${400 + i * 70},48)">${m.shape(0, 0, '#444')}<text x="9" y="4">${m.label}</text></g>`).join('')
  return frame(
    'Latency percentiles per engine (log scale)',
    'One engine call each (a batch of --batch puts in fillseq/fillrandom/overwrite; one entry in readseq/readreverse). Median run of each cell.',
    rows.length, cols.length, engineLegend(engines, 10, 52, markLegend), body,
  )
}
