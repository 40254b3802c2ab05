// Progress reports for long engine calls (backup, load, verify, repair, compactRange, GC): an
// optional onProgress(done, total) the caller passes, and the reporter the call advances. `done`
// only grows and never passes `total`; a call that ends reports done === total once. Absent a
// callback, the reporter is a shared no-op, so a call that nobody watches pays one branch.

import { InvalidArgumentError } from '../base/errors.js'

export type ProgressCallback = (done: number, total: number) => void

export interface ProgressReporter {
  /** Adds `units` done (clamped to the total). */
  advance(units: number): void
  /** Reports the whole total done (once). */
  finish(): void
}

const SILENT: ProgressReporter = { advance() {}, finish() {} }

export function progressReporter(callback: ProgressCallback | undefined, total: number): ProgressReporter {
  if (callback === undefined) return SILENT
  if (typeof callback !== 'function') throw new InvalidArgumentError('onProgress must be a function')
  const whole = Math.max(1, Math.ceil(total))
  let done = 0
  let reported = -1
  return {
    advance(units: number): void {
      if (!(units > 0)) return
      done = Math.min(whole, done + units)
      const shown = Math.floor(done)
      if (shown > reported && shown < whole) callback((reported = shown), whole)
    },
    finish(): void {
      if (reported === whole) return
      done = whole
      callback((reported = whole), whole)
    },
  }
}
