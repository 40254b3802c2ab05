// What the user sees while the bench runs: on a terminal a live bar per workload with the current
// ops/s (cli-progress); otherwise (a pipe, CI, a log file) plain lines every few seconds. Each
// finished workload leaves one line either way.

import cliProgress from 'cli-progress'
import type { RunEvent } from './runner.js'
import { fmtBytes, fmtNs, fmtOps } from './report.js'

export class Progress {
  private readonly tty: boolean
  private bar: cliProgress.SingleBar | undefined
  private barWorkload = ''
  private lastPlain = 0
  private label = ''

  constructor(tty = process.stdout.isTTY === true) {
    this.tty = tty
  }

  /** Starts a child's run: e.g. "sett 100 B". */
  begin(label: string): void {
    this.label = label
  }

  log(line: string): void {
    this.bar?.stop()
    this.bar = undefined
    console.log(line)
  }

  event(e: RunEvent): void {
    if (e.type === 'step') {
      this.bar?.stop()
      this.bar = undefined
      const s = e.result
      const amp = s.writeAmp !== null ? `  write amp ${s.writeAmp.toFixed(2)}` : ''
      const space = s.spaceAmp !== null && s.writeAmp !== null ? `  space amp ${s.spaceAmp.toFixed(2)}` : ''
      const settle = s.settleMs >= 100 ? `  wrote for ${(s.settleMs / 1000).toFixed(1)} s more` : ''
      console.log(
        `  ${this.label.padEnd(22)} ${(s.workload + (s.setup ? ' (setup)' : '')).padEnd(20)} ${fmtOps(s.opsPerSec).padStart(8)} ops/s` +
        `  p99 ${fmtNs(s.latency.p99Ns)}${amp}${space}  rss ${fmtBytes(s.rssPeakBytes)}${settle}`,
      )
      return
    }
    const phase = e.phase === 'settle' ? 'waiting for background work' : `${fmtOps(e.opsPerSec)} ops/s`
    if (this.tty) {
      if (!this.bar || this.barWorkload !== e.workload) {
        this.bar?.stop()
        this.bar = new cliProgress.SingleBar({
          format: `  ${this.label.padEnd(22)} ${e.workload.padEnd(20)} [{bar}] {percentage}% {value}/{total} | {phase} | {duration_formatted}`,
          barsize: 24,
          clearOnComplete: true,
          hideCursor: true,
          stream: process.stdout,
          fps: 5,
        }, cliProgress.Presets.shades_classic)
        this.bar.start(e.total, e.done, { phase })
        this.barWorkload = e.workload
      }
      this.bar.update(Math.min(e.done, e.total), { phase })
      return
    }
    const now = Date.now()
    if (now - this.lastPlain >= 5000) {
      this.lastPlain = now
      const pct = e.total > 0 ? Math.floor((100 * e.done) / e.total) : 0
      console.log(`  ${this.label.padEnd(22)} ${e.workload.padEnd(20)} ${String(pct).padStart(3)}% ${phase}`)
    }
  }

  end(): void {
    this.bar?.stop()
    this.bar = undefined
  }
}
