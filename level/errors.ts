// Errors in abstract-level's vocabulary. Callers of an abstract-level database check `LEVEL_*`
// codes, so a Sett error with a LEVEL counterpart is rethrown as a LevelError carrying that code,
// with the Sett error (its SETT_* code, and for corruption its file and offset) as `cause`.
// Sett errors without a counterpart (SETT_INVALID_ARGUMENT, SETT_NOT_FOUND) pass through as they are.

import { SettError, type ErrorCode } from '../engine/index.js'

export type LevelCode =
  | 'LEVEL_DATABASE_NOT_OPEN'
  | 'LEVEL_INVALID_KEY'
  | 'LEVEL_INVALID_VALUE'
  | 'LEVEL_CORRUPTION'
  | 'LEVEL_IO_ERROR'
  | 'LEVEL_LOCKED'

export class LevelError extends Error {
  readonly code: LevelCode
  constructor(message: string, code: LevelCode, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause })
    this.code = code
    this.name = 'LevelError'
  }
}

const COUNTERPARTS: Partial<Record<ErrorCode, LevelCode>> = {
  SETT_CLOSED: 'LEVEL_DATABASE_NOT_OPEN',
  SETT_CORRUPTION: 'LEVEL_CORRUPTION',
  SETT_IO: 'LEVEL_IO_ERROR',
  SETT_LOCKED: 'LEVEL_LOCKED',
}

/** `err` as abstract-level callers expect to see it. */
export function toLevelError(err: unknown): unknown {
  if (!(err instanceof SettError)) return err
  const code = COUNTERPARTS[err.code]
  return code === undefined ? err : new LevelError(err.message, code, err)
}

export function notOpen(what: string): LevelError {
  return new LevelError(`Database is not open: cannot call ${what}()`, 'LEVEL_DATABASE_NOT_OPEN')
}
