// EngineFailure: the database's one failure rule, in the style of RocksDB's background error.
// The first failed write, fsync, create, rename or directory fsync of a file the engine vouches for
// (WAL, value log, manifest, CURRENT, key registry) is recorded here, with the file it hit; from
// then on every write path throws the same FailedError. It never clears: after a failed fsync the
// data it covered may be gone whatever a later fsync says, so only a reopen (which reads what the
// disk really holds) recovers. It never decides what counts as a failure: its callers do.

import { FailedError } from '../base/errors.js'

/** The path a node:fs-shaped error (or one wrapping it as `cause`) names, if any. */
function pathOf(err: unknown): string | undefined {
  for (let e = err, depth = 0; e !== null && typeof e === 'object' && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const path = (e as { path?: unknown }).path
    if (typeof path === 'string') return path
  }
  return undefined
}

export class EngineFailure {
  private first: FailedError | undefined

  /** The failure once there is one. */
  get failed(): FailedError | undefined {
    return this.first
  }

  /**
   * Records `err` as the database's failure unless one is recorded already, and returns `err`
   * itself: the call that hit the failure reports what went wrong; later writes get the
   * FailedError. `file` names the file when the error does not.
   */
  fail(err: unknown, file?: string): unknown {
    this.first ??= err instanceof FailedError ? err : new FailedError(err, file ?? pathOf(err))
    return err
  }

  /** Throws the recorded failure, if any: the guard at the top of every write path. */
  check(): void {
    if (this.first !== undefined) throw this.first
  }
}
