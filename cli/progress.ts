// The progress bar of a long command (compact, gc, backup, restore, verify, repair): a cli-progress
// bar on the Io's progress stream when that stream is a terminal, and nothing at all otherwise (a
// pipe, a log file, CI, a test), so output that a program reads never holds bar frames. The bar
// is fed by the engine's onProgress(done, total) hooks; when there is no bar the command passes no
// hook, and the engine does no progress work.

import cliProgress from 'cli-progress'
import type { ProgressCallback } from '../engine/index.js'
import type { Io } from './io.js'

export interface CommandProgress {
  /** The hook to hand the engine; undefined when no bar is shown. */
  onProgress: ProgressCallback | undefined
  /** Removes the bar (call before printing the result). */
  stop(): void
}

const NONE: CommandProgress = { onProgress: undefined, stop() {} }

/** A bar labelled `label` when `io.progressStream` is a TTY; otherwise a silent no-op. */
export function commandProgress(io: Io, label: string, unit = ''): CommandProgress {
  const stream = io.progressStream
  if (stream === undefined || stream.isTTY !== true) return NONE
  let bar: cliProgress.SingleBar | undefined
  return {
    onProgress(done, total) {
      if (bar === undefined) {
        bar = new cliProgress.SingleBar({
          format: `${label} [{bar}] {percentage}% {value}/{total}${unit} | {duration_formatted}`,
          barsize: 30, clearOnComplete: true, hideCursor: true, fps: 10,
          stream: stream as NodeJS.WriteStream,
        }, cliProgress.Presets.shades_classic)
        bar.start(total, done)
      } else {
        if (bar.getTotal() !== total) bar.setTotal(total)
        bar.update(done)
      }
    },
    stop() {
      bar?.stop()
      bar = undefined
    },
  }
}
