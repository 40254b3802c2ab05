// Error classes with stable codes: every failure the engine reports to a caller is one of these.
// Codes never change once published; messages may. Caller mistakes are InvalidArgumentError,
// damaged files are CorruptionError (with file and offset), OS failures are IOError.

export type ErrorCode =
  | 'SETT_INVALID_ARGUMENT'
  | 'SETT_CORRUPTION'
  | 'SETT_CLOSED'
  | 'SETT_LOCKED'
  | 'SETT_IO'
  | 'SETT_NOT_FOUND'
  | 'SETT_CONFLICT'
  | 'SETT_TXN_TOO_LARGE'
  | 'SETT_READ_ONLY'
  | 'SETT_ENCRYPTION_KEY'
  | 'SETT_FAILED'
  | 'SETT_SUBSCRIBER_OVERFLOW'
  | 'SETT_HISTORY_UNAVAILABLE'

export class SettError extends Error {
  readonly code: ErrorCode
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = new.target.name
  }
}

/** A caller passed something the engine cannot accept: wrong type, empty or oversized key, bad option. */
export class InvalidArgumentError extends SettError {
  constructor(message: string) {
    super('SETT_INVALID_ARGUMENT', message)
  }
}

/** Bytes on disk do not match their checksum or their format. Never returned as data. */
export class CorruptionError extends SettError {
  readonly file: string
  readonly offset: number
  constructor(file: string, offset: number, detail: string) {
    super('SETT_CORRUPTION', `corruption in ${file} at offset ${offset}: ${detail}`)
    this.file = file
    this.offset = offset
  }
}

/** The database is not open (never opened, closing, or closed). */
export class ClosedError extends SettError {
  constructor(message = 'database is not open') {
    super('SETT_CLOSED', message)
  }
}

/** Another process (or another handle in this process) holds the directory's LOCK. */
export class LockError extends SettError {
  constructor(path: string, holder: string) {
    super('SETT_LOCKED', `${path} is locked by ${holder}`)
  }
}

/** The operating system refused an operation; `cause` is the node:fs error. */
export class IOError extends SettError {
  constructor(message: string, cause?: unknown) {
    super('SETT_IO', message, { cause })
  }
}

/** A file or directory the engine needs does not exist. */
export class NotFoundError extends SettError {
  constructor(message: string) {
    super('SETT_NOT_FOUND', message)
  }
}

/**
 * A transaction's commit found that a key it read was written by another commit after the
 * transaction's snapshot: committing would not be serializable. Nothing was written; retry.
 */
export class ConflictError extends SettError {
  constructor(message = 'transaction conflict: a key it read was changed by another commit; retry it') {
    super('SETT_CONFLICT', message)
  }
}

/** A transaction's writes outgrew what one commit may carry; use a WriteBatch for bulk loads. */
export class TransactionTooLargeError extends SettError {
  constructor(bytes: number, limit: number) {
    super('SETT_TXN_TOO_LARGE', `transaction of ${bytes} bytes exceeds the limit of ${limit} (one memtable); use db.writeBatch() for bulk loads`)
  }
}

/** A write, flush, compaction, GC or load on a database opened with `readOnly: true`. */
export class ReadOnlyError extends SettError {
  constructor(operation: string) {
    super('SETT_READ_ONLY', `${operation} is not allowed: the database was opened read-only`)
  }
}

/**
 * Encryption at rest refuses the key: the directory is encrypted and no key (or another key) was
 * given, or a key was given for a directory that is not encrypted. Raised before anything is written.
 */
export class EncryptionKeyError extends SettError {
  constructor(message: string) {
    super('SETT_ENCRYPTION_KEY', message)
  }
}

/**
 * An earlier write, fsync, create, rename or directory fsync of the WAL, value log, manifest,
 * CURRENT or key registry failed, so the database refuses every write from then on (RocksDB's
 * background error). Reads, iterators, snapshots, backup and close() keep working; close and
 * reopen to recover everything that was acknowledged. `cause` is the first failure; `file` the
 * file it hit, when known.
 */
export class FailedError extends SettError {
  readonly file: string | undefined
  constructor(cause: unknown, file: string | undefined) {
    const what = cause instanceof Error ? cause.message : String(cause)
    super('SETT_FAILED', `database failed: ${what}${file === undefined ? '' : ` (file ${file})`}; close and reopen it to recover`, { cause })
    this.file = file
  }
}

/**
 * A change-feed subscriber fell behind by more than its queue may hold (subscribe's
 * maxQueueBytes, with onFull 'end'): the subscription ended. Every change up to `lastVersion`
 * was handed to its callback; none after it will be.
 */
export class SubscriberOverflowError extends SettError {
  readonly lastVersion: number
  constructor(limit: number, lastVersion: number) {
    super('SETT_SUBSCRIBER_OVERFLOW', `subscriber fell behind by more than its queue limit of ${limit} bytes; ended after handing over version ${lastVersion}`)
    this.lastVersion = lastVersion
  }
}

/**
 * subscribe({ since }) asked for changes the database can no longer answer for: compaction has
 * dropped deletions (or a dropPrefix was forgotten) after `since`, up to `horizon`, so a consumer
 * starting there would miss them. `horizon` is the lowest since still answered; below it the
 * consumer must start over from a full copy (a backup, or an iterator at a snapshot).
 */
export class HistoryUnavailableError extends SettError {
  readonly since: number
  readonly horizon: number
  constructor(since: number, horizon: number, detail: string) {
    super('SETT_HISTORY_UNAVAILABLE', `changes since version ${since} are no longer all answerable: ${detail}; the oldest since still answered is ${horizon}`)
    this.since = since
    this.horizon = horizon
  }
}
