// Backup and load: db.backup() streams a consistent snapshot of the database (or, with `since`,
// what changed after an earlier backup) into a backup file (engine/backup-format.ts); db.load()
// and restore() apply one through the normal write path. Names follow BadgerDB's DB.Backup and
// DB.Load: a backup reports the sequence to pass as `since` next time.
//
// What goes in: every user key's newest version at the snapshot whose seq is above `since`,
// values resolved (value-log pointers followed, so a backup stands alone), and — in incremental
// backups — deletions as records of their own. A deletion whose tombstone compaction has already
// dropped (bottom level, older than every snapshot) is gone from the database: the manifest
// keeps the highest such sequence (the tombstone horizon), and an incremental backup from an
// earlier sequence is refused rather than written without that deletion.
//
// Loading is all-or-nothing with respect to bad input: pass 1 reads the whole backup and checks
// every checksum, the record order and the trailer; only then does pass 2 read it again and
// write. A stream is spooled to a file during pass 1, so memory stays at one chunk whatever the
// size. The rule for the target: a full backup (since 0) loads only into a database that was
// never written (last sequence 0); an incremental one into a database at sequence >= since.
// After a load the target's last sequence is at least the backup's `until`, so a chain of
// incrementals can be checked link by link.

import { once } from 'node:events'
import { dirname } from 'node:path'
import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import type { Readable, Writable } from 'node:stream'
import { ClosedError, CorruptionError, InvalidArgumentError } from '../base/errors.js'
import type { FileSystem, ReadableFile, WritableFile } from '../base/fs.js'
import type { DroppedPrefix } from '../base/dropped-prefixes.js'
import { entryExpiresAt, entryMeta, entryPayload, hasHeader, isPointerKind, isValidHeaderedValue } from '../base/entry-value.js'
import { absence } from '../base/visibility.js'
import { Kind, bytesEqual, isKnownKind } from '../base/internal-key.js'
import type { InternalIterator } from '../base/internal-iterator.js'
import {
  BackupDecoder, BackupEncoder, type BackupRecord, type BackupSummary, RECORD_DELETE, RECORD_VALUE,
} from './backup-format.js'
import { type ProgressCallback, type ProgressReporter, progressReporter } from './progress.js'
import type { SkippedBlock } from './salvage-iterator.js'
import { BatchOps } from './write-batch.js'

export interface BackupOptions {
  /**
   * Only keys whose newest version is newer than this sequence, deletions included: the `until`
   * of the previous backup. Default 0: a full backup.
   */
  since?: number
  /**
   * Read past damage: a table block that fails its checksum is skipped (its entries are left out;
   * an older version of such a key, from another table, may be backed up in its place), and so is
   * a key whose value-log value cannot be read. The result counts both. For saving what can be
   * saved from a damaged database; default false, which fails with CorruptionError instead.
   */
  salvage?: boolean
  /** Called as entries are read: `done` of about `total` entries (every version counts). */
  onProgress?: ProgressCallback
}

export interface BackupResult {
  /** The sequence number the backup was taken at: pass it as `since` to the next backup. */
  until: number
  since: number
  records: number
  bytes: number
  /** With `salvage`: the table blocks that could not be read and were skipped. */
  skippedBlocks?: SkippedBlock[]
  /** With `salvage`: keys left out because their value could not be read. */
  unreadableValues?: number
}

export interface LoadOptions {
  /**
   * Where a streamed backup is spooled while pass 1 checks it (removed afterwards). Default: a
   * file beside the database directory.
   */
  spoolPath?: string
  /** Called as the backup is read (checked, then written): `done` of `total` bytes. */
  onProgress?: ProgressCallback
}

/** Where a backup goes: a file path (written durably, then renamed into place) or a stream. */
export type BackupDestination = string | Writable
/** Where a backup comes from: a file path or a readable stream of its bytes. */
export type BackupSource = string | Readable | AsyncIterable<Uint8Array>

/** What db.backup() needs of an open database. */
export interface BackupHost {
  fs: FileSystem
  /** A snapshot's sequence, and a release for it. */
  snapshot(): { seq: number; release(): void }
  /** The highest seq of a deletion whose tombstone compaction has dropped. */
  tombstoneHorizon(): number
  /** The clock reading expiry is judged by, and the dropPrefix()/dropAll() records in force. */
  visibility(): { now: number; droppedPrefixes: readonly DroppedPrefix[] }
  /** Every internal entry (all versions, tombstones too), pinned like an iterator until close(). */
  scan(): InternalScan
  /** The same, skipping table blocks that fail their checksums (engine/backup-scan.ts). */
  salvageScan?(onSkip: (block: SkippedBlock) => void): InternalScan
  /** About how many entries scan() yields, for progress. */
  entryEstimate?(): number
}

export interface InternalScan {
  source: InternalIterator
  /** The value a value pointer leads to. */
  readValueLog(pointer: Uint8Array, key: Uint8Array): Uint8Array
  /** True once the database closed under the scan: what was read is not the whole snapshot. */
  closed(): boolean
  close(): void
}

/** What db.load() needs of an open, writable database. */
export interface LoadTarget {
  fs: FileSystem
  dir: string
  lastSeq(): number
  write(ops: BatchOps, sync: boolean): Promise<void>
  /** Makes the last sequence at least `seq`, durably. */
  raiseLastSeq(seq: number): Promise<void>
}

/** A stored entry's value, expiry and meta byte: the one place that knows each kind's layout. */
export interface ResolvedEntry {
  value: Uint8Array
  /** ms since the Unix epoch; 0 = never. */
  expiresAt: number
  meta: number
}

/** Resolves a live (non-deletion) stored entry (the layouts are in base/entry-value.ts). */
export function resolveStoredEntry(
  kind: number, stored: Uint8Array, key: Uint8Array, readValueLog: InternalScan['readValueLog'],
): ResolvedEntry {
  if (kind === Kind.Delete || !isKnownKind(kind)) throw new CorruptionError('(entry)', 0, `entry kind ${kind} cannot be backed up by this version`)
  if (hasHeader(kind) && !isValidHeaderedValue(stored)) throw new CorruptionError('(entry)', 0, 'entry header is cut short')
  const payload = entryPayload(kind, stored)
  return {
    value: isPointerKind(kind) ? readValueLog(payload, key) : payload,
    expiresAt: entryExpiresAt(kind, stored),
    meta: entryMeta(kind, stored),
  }
}

const EMPTY = new Uint8Array(0)

function checkSince(since: unknown): number {
  if (since === undefined) return 0
  if (typeof since !== 'number' || !Number.isSafeInteger(since) || since < 0) {
    throw new InvalidArgumentError(`options.since must be a sequence number (an integer >= 0), got ${String(since)}`)
  }
  return since
}

/** Writes a backup of `host` at a snapshot taken now. */
export async function writeBackup(host: BackupHost, dest: BackupDestination, options: BackupOptions = {}): Promise<BackupResult> {
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError('backup options must be an object')
  const since = checkSince(options.since)
  const sink = openSink(host.fs, dest)
  const snap = host.snapshot()
  const until = snap.seq
  if (since > until) {
    snap.release()
    await sink.abort()
    throw new InvalidArgumentError(`options.since ${since} is after the database's last sequence ${until}`)
  }
  const horizon = host.tombstoneHorizon()
  if (since > 0 && horizon > since) {
    snap.release()
    await sink.abort()
    throw new InvalidArgumentError(
      `an incremental backup since ${since} could miss deletions: compaction has dropped the tombstones of deletions ` +
      `up to sequence ${horizon}. Take a full backup (and, to keep incrementals possible, hold a snapshot from one backup to the next)`)
  }
  const { now, droppedPrefixes } = host.visibility()
  // A drop after `since` removed keys without leaving anything newer to copy.
  const lastDrop = droppedPrefixes.reduce((m, d) => Math.max(m, d.seq), 0)
  if (since > 0 && lastDrop >= since) {
    snap.release()
    await sink.abort()
    throw new InvalidArgumentError(
      `an incremental backup since ${since} cannot carry the dropPrefix/dropAll made at sequence ${lastDrop}: take a full backup`)
  }
  const salvage = options.salvage === true
  if (salvage && host.salvageScan === undefined) throw new InvalidArgumentError('this database cannot take a salvage backup')
  const skippedBlocks: SkippedBlock[] = []
  let unreadableValues = 0
  const progress = progressReporter(options.onProgress, options.onProgress ? (host.entryEstimate?.() ?? 0) : 0)
  let entries = 0
  let scan: InternalScan | undefined
  try {
    scan = salvage ? host.salvageScan!((b) => skippedBlocks.push(b)) : host.scan()
    const enc = new BackupEncoder({ since, until, createdAt: Date.now() }, (bytes) => sink.write(bytes))
    const it = scan.source
    let decidedKey: Uint8Array | undefined
    for (it.first(); it.valid(); it.next()) {
      if ((++entries & 255) === 0) progress.advance(256)
      const key = it.userKey()
      const seq = it.seq()
      // Entries of one key come newest first: the first at or below the snapshot decides.
      if (seq > until || (decidedKey !== undefined && bytesEqual(key, decidedKey))) continue
      decidedKey = key.slice()
      if (seq <= since) continue
      const kind = it.kind()
      // Dropped: gone with all older versions. Expired: reads as deleted, so an incremental says
      // so (an older version must not reappear) and a full backup leaves it out.
      const gone = absence(now, droppedPrefixes, decidedKey, seq, kind, it.value())
      if (gone === 'dropped') continue
      if (gone !== undefined) {
        if (since > 0) enc.add(RECORD_DELETE, seq, decidedKey, EMPTY, 0, 0)
      } else {
        let e: ResolvedEntry
        try {
          e = resolveStoredEntry(kind, it.value(), decidedKey, scan.readValueLog)
        } catch (err) {
          if (!salvage || !(err instanceof CorruptionError)) throw err
          unreadableValues++
          continue
        }
        enc.add(RECORD_VALUE, seq, decidedKey, e.value, e.expiresAt, e.meta)
      }
      if (enc.chunkFull) {
        enc.flushChunk()
        await sink.ready()
        // A scan of cached blocks never waits on I/O: let other work on the event loop run.
        await yieldToEventLoop()
        if (scan.closed()) throw new ClosedError('the database was closed during the backup')
      }
    }
    if (scan.closed()) throw new ClosedError('the database was closed during the backup')
    enc.finish()
    await sink.finish()
    progress.finish()
    const result: BackupResult = { until, since, records: enc.records, bytes: enc.bytes }
    return salvage ? { ...result, skippedBlocks, unreadableValues } : result
  } catch (err) {
    await sink.abort().catch(() => undefined)
    throw err
  } finally {
    scan?.close()
    snap.release()
  }
}

interface ByteSink {
  write(bytes: Uint8Array): void
  /** Resolves once the destination can take more (a stream's back-pressure). */
  ready(): Promise<void>
  finish(): Promise<void>
  abort(): Promise<void>
}

function openSink(fs: FileSystem, dest: BackupDestination): ByteSink {
  if (typeof dest === 'string') {
    if (dest.length === 0) throw new InvalidArgumentError('backup destination must be a non-empty path or a writable stream')
    return new FileSink(fs, dest)
  }
  if (dest === null || typeof dest !== 'object' || typeof (dest as Writable).write !== 'function') {
    throw new InvalidArgumentError('backup destination must be a path or a writable stream')
  }
  return new StreamSink(dest)
}

/** write → fsync → rename into place → fsync the directory: a backup file is whole or absent. */
class FileSink implements ByteSink {
  private readonly file: WritableFile
  private readonly temp: string

  constructor(private readonly fs: FileSystem, private readonly path: string) {
    this.temp = `${path}.partial`
    this.file = fs.create(this.temp)
  }

  write(bytes: Uint8Array): void {
    this.file.append(bytes)
  }

  async ready(): Promise<void> {}

  async finish(): Promise<void> {
    await this.file.sync()
    await this.file.close()
    this.fs.rename(this.temp, this.path)
    await this.fs.syncDir(dirname(this.path))
  }

  async abort(): Promise<void> {
    await this.file.close().catch(() => undefined)
    this.fs.remove(this.temp)
  }
}

/** Writes to a caller's stream, honouring back-pressure; the stream is left open (not ended). */
class StreamSink implements ByteSink {
  private error: unknown
  private readonly onError = (err: unknown): void => {
    this.error ??= err
  }

  constructor(private readonly stream: Writable) {
    stream.on('error', this.onError)
  }

  write(bytes: Uint8Array): void {
    if (this.error !== undefined) throw this.error
    this.stream.write(bytes)
  }

  async ready(): Promise<void> {
    if (this.error !== undefined) throw this.error
    if (this.stream.writableNeedDrain) await once(this.stream, 'drain')
  }

  async finish(): Promise<void> {
    // An empty write's callback runs once everything before it has been handed on.
    await new Promise<void>((ok, fail) => this.stream.write(EMPTY, (err) => (err ? fail(err) : ok())))
    this.stream.off('error', this.onError)
    if (this.error !== undefined) throw this.error
  }

  async abort(): Promise<void> {
    this.stream.off('error', this.onError)
  }
}

const READ_PIECE = 1024 * 1024

/** Pushes a whole file through a decoder, one piece at a time; `after` runs after each piece. */
async function readThrough(file: ReadableFile, decoder: BackupDecoder, progress: ProgressReporter, after?: () => Promise<void>): Promise<BackupSummary> {
  for (let at = 0; at < file.size; at += READ_PIECE) {
    const n = Math.min(READ_PIECE, file.size - at)
    decoder.push(file.read(at, n))
    progress.advance(n)
    if (after) await after()
  }
  return decoder.end()
}

/** A backup checked end to end (pass 1) and the file pass 2 reads it from. */
export interface VerifiedBackup {
  summary: BackupSummary
  path: string
  /** Removes the spool file, if one was made. */
  cleanup(): void
  /** Pass 1 and 2 of a file, pass 2 alone of a stream (its size is known only after pass 1). */
  progress: ProgressReporter
}

/**
 * Pass 1: reads the whole backup, checking every checksum, the record order and the trailer.
 * Throws CorruptionError (naming the file and offset) on any damage or a cut. A stream is copied
 * to `spoolPath` as it is read.
 */
export async function verifyBackup(fs: FileSystem, source: BackupSource, spoolPath: string, onProgress?: ProgressCallback): Promise<VerifiedBackup> {
  if (typeof source === 'string') {
    if (source.length === 0) throw new InvalidArgumentError('backup source must be a non-empty path or a readable stream')
    const file = fs.openRead(source)
    try {
      const progress = progressReporter(onProgress, 2 * file.size)
      return { summary: await readThrough(file, new BackupDecoder(source), progress), path: source, cleanup: () => undefined, progress }
    } finally {
      file.close()
    }
  }
  if (source === null || typeof source !== 'object' || typeof (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] !== 'function') {
    throw new InvalidArgumentError('backup source must be a path or a readable stream')
  }
  const spool = fs.create(spoolPath)
  const cleanup = (): void => fs.remove(spoolPath)
  try {
    const decoder = new BackupDecoder('(backup stream)')
    for await (const piece of source as AsyncIterable<Uint8Array | string>) {
      if (typeof piece === 'string') throw new InvalidArgumentError('backup stream must yield bytes, not strings (no encoding)')
      decoder.push(piece)
      spool.append(piece)
    }
    const summary = decoder.end()
    const progress = progressReporter(onProgress, spool.size)
    await spool.close()
    return { summary, path: spoolPath, cleanup, progress }
  } catch (err) {
    await spool.close().catch(() => undefined)
    cleanup()
    throw err
  }
}

/** Refuses a load the target cannot take; throws before anything is written. */
export function checkLoadable(summary: BackupSummary, lastSeq: number, where: string): void {
  if (summary.since === 0 && lastSeq !== 0) {
    throw new InvalidArgumentError(`a full backup loads only into an empty database; ${where} is at sequence ${lastSeq}`)
  }
  if (summary.since > 0 && lastSeq < summary.since) {
    throw new InvalidArgumentError(
      `this incremental backup continues from sequence ${summary.since}, but ${where} is at sequence ${lastSeq}: ` +
      'load the backup it continues (the full one, then each incremental in order) first')
  }
}

/** Adds one backup record to a batch: the single place a record becomes a write. */
function addRecord(ops: BatchOps, r: BackupRecord): void {
  if (r.kind === RECORD_DELETE) ops.del(r.key.slice())
  else ops.putWithHeader(r.key.slice(), r.value.slice(), r.expiresAt, r.meta)
}

/**
 * Pass 2: writes every record of a verified backup through the normal write path, one batch per
 * chunk; the last batch is synced, so when this resolves the whole load is durable, and only then
 * is the last sequence raised to the backup's `until` (durably, in the manifest).
 */
export async function applyBackup(target: LoadTarget, verified: VerifiedBackup): Promise<BackupSummary> {
  const file = target.fs.openRead(verified.path)
  let ready: BatchOps[] = []
  let held: BatchOps | undefined
  const decoder = new BackupDecoder(verified.path, (records) => {
    const ops = new BatchOps()
    for (const r of records) addRecord(ops, r)
    ready.push(ops)
  })
  try {
    // One batch is held back so that the last one can be written with sync.
    const summary = await readThrough(file, decoder, verified.progress, async () => {
      const batches = ready
      ready = []
      for (const ops of batches) {
        if (held) await target.write(held, false)
        held = ops
      }
    })
    if (held) await target.write(held, true)
    await target.raiseLastSeq(summary.until)
    verified.progress.finish()
    return summary
  } finally {
    file.close()
  }
}

/** db.load(): pass 1, the target check, pass 2. */
export async function loadBackup(target: LoadTarget, source: BackupSource, options: LoadOptions = {}): Promise<BackupSummary> {
  const spoolPath = options.spoolPath ?? `${target.dir}.load-${process.pid}.spool`
  const verified = await verifyBackup(target.fs, source, spoolPath, options.onProgress)
  try {
    checkLoadable(verified.summary, target.lastSeq(), target.dir)
    return await applyBackup(target, verified)
  } finally {
    verified.cleanup()
  }
}
