// LogWriter: appends framed records to a fresh log file (WAL or manifest); format in format.ts.
//
// Not safe for concurrent use: the engine's writer queue (or the manifest's owner) is its only
// caller. Each append()/appendAll() is exactly one file.append, so a group commit reaches the file
// as one write and a crash tears at most the tail of it. Nothing is durable until sync() resolves.
// A WAL is written in format version 2: each record carries the file's durable end as of the last
// successful sync(), and close() of a fully synced log appends (and syncs) a marker claiming all of
// it, so a reader can tell damage to synced bytes from a crash's out-of-order writeback.
// A WAL's file is created with WAL_PREALLOCATE: zeros past the records until close() cuts them.
// A failed append or sync poisons the writer: every later append and sync throws that first error,
// since after a failed fsync the records it covered may be gone whatever a later fsync reports.

import { randomFillSync } from 'node:crypto'
import { assert } from '../base/assert.js'
import { InvalidArgumentError } from '../base/errors.js'
import type { WritableFile } from '../base/fs.js'
import {
  CLAIM_SIZE, LOG_FORMAT_CLAIMING, LOG_FORMAT_VERSION, type LogKind, MAX_PAYLOAD_LENGTH, RECORD_HEADER_SIZE, encodeFileHeader,
  encodeRecord, frameRecord, recordSize,
} from './format.js'

/**
 * What a WAL asks its file to preallocate (CreateOptions.preallocate): zeros kept ahead of its end,
 * so a synced write's fdatasync lands in bytes already allocated and written and needs no journal
 * commit for a new size (the reader takes an all-zero rest of file as the log's end). The most
 * kept: the tail starts at 64 KiB and grows with the file (base/fs.ts preallocatedAhead).
 */
export const WAL_PREALLOCATE = 1 << 20

/** Frames up to this size reuse one scratch buffer; larger ones get a buffer of their own. */
const SCRATCH_LIMIT = 8 << 20

export interface LogWriterOptions {
  /** The salt written in the header and mixed into every record checksum. Default: random. */
  salt?: number
  /** The format version (1 or 2). Default: 2 for a WAL, 1 for a manifest (its edits are each synced). */
  version?: number
}

export class LogWriter {
  private readonly file: WritableFile
  private readonly salt: number
  private readonly version: number
  private scratch = new Uint8Array(4096)
  private closed = false
  /** The file's length at the last sync() that succeeded: what version-2 records claim. */
  private syncedEnd = 0
  /** The largest durable end any record of this file claims. */
  private claimed = 0
  private failure: unknown = undefined
  /** The buffer reserve() handed out, until appendReserved(). */
  private reserved: Uint8Array | undefined = undefined

  private constructor(file: WritableFile, salt: number, version: number) {
    this.file = file
    this.salt = salt
    this.version = version
  }

  /**
   * Writes the file header into a fresh file (not synced).
   * requires: `file` is empty. `options.salt` exists for tests and golden bytes.
   */
  static create(file: WritableFile, kind: LogKind, options: LogWriterOptions = {}): LogWriter {
    assert(file.size === 0, `LogWriter.create: ${file.path} is not empty`)
    const salt = options.salt === undefined ? randomFillSync(new Uint32Array(1))[0] : options.salt >>> 0
    const version = options.version ?? (kind === 'wal' ? LOG_FORMAT_CLAIMING : LOG_FORMAT_VERSION)
    file.append(encodeFileHeader(kind, salt, version))
    return new LogWriter(file, salt, version)
  }

  /** Frames one record and appends it with one file.append. `payload` may be reused on return. */
  append(payload: Uint8Array): void {
    checkPayloadLength(payload.length)
    const buf = this.frameBuffer(recordSize(payload.length, this.version))
    const end = encodeRecord(buf, 0, payload, this.salt, this.claim())
    this.write(buf.subarray(0, end))
  }

  /**
   * Where a payload goes in the buffer reserve() returns: a caller encodes its payload there and
   * appendReserved() frames it, with no payload array of its own and no copy of it (a group
   * commit's record is encoded straight into the frame).
   */
  get payloadOffset(): number {
    return RECORD_HEADER_SIZE + (this.version === LOG_FORMAT_CLAIMING ? CLAIM_SIZE : 0)
  }

  /**
   * A buffer with room for one record of `payloadLength` bytes; the caller writes the payload at
   * payloadOffset, then calls appendReserved(payloadLength). Valid until the next call on this
   * writer.
   */
  reserve(payloadLength: number): Uint8Array {
    checkPayloadLength(payloadLength)
    this.reserved = this.frameBuffer(recordSize(payloadLength, this.version))
    return this.reserved
  }

  /** Frames and appends (one file.append) the payload written into reserve()'s buffer. */
  appendReserved(payloadLength: number): void {
    const buf = this.reserved
    assert(buf !== undefined && buf.length >= recordSize(payloadLength, this.version), 'LogWriter.appendReserved without reserve()')
    this.reserved = undefined
    const end = frameRecord(buf, 0, payloadLength, this.salt, this.claim())
    this.write(buf.subarray(0, end))
  }

  /** Frames several payloads, one record each, into ONE file.append (a group commit). */
  appendAll(payloads: Uint8Array[]): void {
    let total = 0
    for (const p of payloads) {
      checkPayloadLength(p.length)
      total += recordSize(p.length, this.version)
    }
    if (total === 0) return
    const buf = this.frameBuffer(total)
    let offset = 0
    const claim = this.claim()
    for (const p of payloads) offset = encodeRecord(buf, offset, p, this.salt, claim)
    this.write(buf.subarray(0, offset))
  }

  /**
   * Makes every appended record durable. Not an async function: a single synced writer waits on
   * this between its fsync's completion and its next put, and each async frame there is another
   * microtask on that path.
   */
  sync(): Promise<void> {
    return this.syncThen(NOTHING, RETHROW)
  }

  /**
   * sync() with the caller's handlers run in the same reaction as the writer's own (one
   * microtask after the fsync's completion, where sync().then() would take two): `onSynced` once
   * the durable end has moved, `onFailed` once the failure is recorded (also when sync could not
   * start). The result settles as the handler returns or throws.
   */
  syncThen<T>(onSynced: () => T, onFailed: (err: unknown) => T): Promise<T> {
    if (this.failure !== undefined) return Promise.reject(this.failure).then(undefined, onFailed)
    const end = this.file.size
    let syncing: Promise<void>
    try {
      syncing = this.file.sync()
    } catch (err) {
      this.failure ??= err
      return Promise.reject(err).then(undefined, onFailed)
    }
    return syncing.then(
      () => {
        // Only a sync that succeeded moves the claim: after a failed fsync nothing is vouched for.
        if (end > this.syncedEnd) this.syncedEnd = end
        return onSynced()
      },
      (err: unknown) => {
        this.failure ??= err
        return onFailed(err)
      },
    )
  }

  /**
   * The log is about to be closed: its file's preallocated zero tail is cut and no more zeros are
   * written (WritableFile.trim), so the sync before close() (a rotation's, a clean close's) does
   * not write a tail that close() would cut again. Durable with that sync.
   */
  endPreallocation(): void {
    if (this.closed || this.failure !== undefined) return
    try {
      this.file.trim?.()
    } catch (err) {
      this.failure ??= err
      throw err
    }
  }

  /** The first failed append or sync, if any. */
  get failed(): unknown {
    return this.failure
  }

  /**
   * Closes the file. A version-2 log whose every byte was synced first gets a marker claiming all
   * of it, synced, so damage anywhere in it reads as damage; otherwise the file is closed unsynced.
   * `claim: false` closes with no marker: after a failure elsewhere (the value log its records
   * point into) the log must not vouch for records whose other half may be gone.
   */
  async close(options: { claim?: boolean } = {}): Promise<void> {
    if (options.claim !== false && !this.closed && this.failure === undefined && this.version === LOG_FORMAT_CLAIMING && this.syncedEnd === this.file.size && this.syncedEnd > this.claimed) {
      const buf = this.frameBuffer(recordSize(0, this.version))
      const end = frameRecord(buf, 0, -1, this.salt, this.claim())
      this.write(buf.subarray(0, end))
      // A preallocated zero tail is cut before the marker's sync, which makes the cut durable too
      // (one fdatasync, not two): a cleanly closed log ends at its marker, as one never preallocated.
      try {
        this.file.trim?.()
      } catch (err) {
        this.failure ??= err
        this.closed = true
        await this.file.close().catch(() => {})
        throw err
      }
      await this.sync()
    }
    this.closed = true
    return this.file.close()
  }

  private claim(): number | undefined {
    if (this.version !== LOG_FORMAT_CLAIMING) return undefined
    this.claimed = Math.max(this.claimed, this.syncedEnd)
    return this.syncedEnd
  }

  /** Bytes in the file, header included, synced or not. */
  get size(): number {
    return this.file.size
  }

  private write(frame: Uint8Array): void {
    assert(!this.closed, `LogWriter: append to closed log ${this.file.path}`)
    if (this.failure !== undefined) throw this.failure
    try {
      this.file.append(frame)
    } catch (err) {
      this.failure ??= err
      throw err
    }
  }

  private frameBuffer(size: number): Uint8Array {
    if (size <= this.scratch.length) return this.scratch
    if (size > SCRATCH_LIMIT) return Buffer.allocUnsafe(size)
    let cap = this.scratch.length * 2
    while (cap < size) cap *= 2
    this.scratch = new Uint8Array(Math.min(cap, SCRATCH_LIMIT))
    return this.scratch
  }
}

const NOTHING = (): void => {}
const RETHROW = (err: unknown): never => {
  throw err
}

function checkPayloadLength(length: number): void {
  if (length > MAX_PAYLOAD_LENGTH) {
    throw new InvalidArgumentError(`log record of ${length} bytes exceeds ${MAX_PAYLOAD_LENGTH}`)
  }
}
