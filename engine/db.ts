// DB: the face. It opens and closes the database and holds the public methods, each a few lines
// that check their input and hand over to the room that does the work (engine/rooms.ts builds
// them and wires them to each other):
//   engine/state.ts                  EngineState, the one object the rooms share
//   engine/write-path.ts             group commit, value separation, stalls, memtable rotation
//   engine/read-path.ts              lookups, visibility, value resolution, iterators
//   engine/background.ts             the flush lane and the compaction lane (manual, drops)
//   engine/value-log-maintenance.ts  relocation, retirement and automatic value-log GC
// It must never do a room's work itself: a new rule for writes, reads or background steps goes
// in that room. Everything runs on the event loop; see each room's header for who may change what.

import { InvalidArgumentError, ReadOnlyError } from '../base/errors.js'
import type { FileLock } from '../base/fs.js'
import type { Version } from '../manifest/index.js'
import type { BackgroundWork } from './background.js'
import {
  type BackupDestination, type BackupOptions, type BackupResult, type BackupSource, type LoadOptions, type LoadTarget, loadBackup, writeBackup,
} from './backup.js'
import type { BackupSummary } from './backup-format.js'
import { ChainedBatch, addOperations } from './chained-batch.js'
import { Encryption } from './encryption.js'
import { type Bytes, checkDelOptions, checkReadOptions, toEntryHeader, toKey, toOwnedBound, toOwnedKey, toOwnedValue } from './input.js'
import type { BatchOperation, PutOptions, StoredEntry, WriteOptions } from './api-types.js'
import type { DBIterator, IteratorOptions } from './iterator.js'
import { type Options, resolveOptions } from './options.js'
import type { ReadOptions, ReadPath } from './read-path.js'
import { closeEngine, openFiles } from './lifecycle.js'
import type { RecoveryReport } from './recovery.js'
import { type Rooms, LeaseQueue, backupHost, buildRooms, dropPrefixes, loadTarget, subscribe, transactionHost } from './rooms.js'
import { Sequence } from './sequence.js'
import type { Snapshot } from './snapshot.js'
import type { ProgressCallback } from './progress.js'
import type { EngineState } from './state.js'
import { type DBStats, collectStats } from './stats.js'
import type { ChangeCallback, SubscribeLimits } from './subscriptions.js'
import { type ClearOptions, clearRange, getMany } from './range-clear.js'
import type { Transaction } from './transaction.js'
import { TransactionRunner } from './transaction-runner.js'
import { BatchOps } from './write-batch.js'
import type { WritePath } from './write-path.js'
import { WriteBatch } from './bulk-write-batch.js'

export class DB {
  readonly dir: string
  private readonly rooms: Rooms
  private readonly s: EngineState
  private readonly writes: WritePath
  private readonly reads: ReadPath
  private readonly lanes: BackgroundWork
  private lock: FileLock | undefined
  /** The one close() in progress or done: every caller gets it. */
  private closing: Promise<void> | undefined
  private transactionRunner: TransactionRunner | undefined
  private readonly sequenceLeases = new LeaseQueue()
  private recoveryReport!: RecoveryReport

  private constructor(dir: string, options: ReturnType<typeof resolveOptions>, encryption: Encryption | undefined) {
    this.dir = dir
    this.rooms = buildRooms(dir, options, encryption, () => this.flush())
    ;({ s: this.s, writes: this.writes, reads: this.reads, lanes: this.lanes } = this.rooms)
  }

  /** Opens (or creates) the database in `dir`, recovering from the WAL as needed. */
  static async open(dir: string, options?: Options): Promise<DB> {
    if (typeof dir !== 'string' || dir.length === 0) throw new InvalidArgumentError('dir must be a non-empty string')
    const resolved = resolveOptions(options)
    // Refuses a missing or wrong key before anything in the directory is touched.
    const encryption = Encryption.check(dir, resolved)
    const db = new DB(dir, encryption ? { ...resolved, fs: encryption.fs } : resolved, encryption)
    await db.openFiles()
    return db
  }

  private async openFiles(): Promise<void> {
    const { lock, report } = await openFiles(this.s, this.lanes)
    this.lock = lock
    this.recoveryReport = report
  }

  // ---------------------------------------------------------------- writes (engine/write-path.ts)

  // put() and del() build their one-op batch inline, with no async frame or closure: a single
  // synced writer's put runs between one fsync's completion and the next one's submission, and
  // every microsecond there is one off its throughput. A refusal is still a rejection.
  put(key: Bytes, value: Bytes, options?: PutOptions): Promise<void> {
    try {
      this.checkWritable('write')
      const ops = new BatchOps()
      const k = toOwnedKey(key)
      const v = toOwnedValue(value)
      // Without ttl, expiresAt or meta, toEntryHeader gives (0, 0) and putWithHeader a plain put.
      const [expiresAt, meta] = toEntryHeader(options, this.s.options.clock)
      ops.putWithHeader(k, v, expiresAt, meta)
      return this.writes.write(ops, options?.sync)
    } catch (err) {
      return Promise.reject(err)
    }
  }

  del(key: Bytes, options?: WriteOptions): Promise<void> {
    try {
      this.checkWritable('write')
      const ops = new BatchOps()
      checkDelOptions(options)
      ops.del(toOwnedKey(key))
      return this.writes.write(ops, options?.sync)
    } catch (err) {
      return Promise.reject(err)
    }
  }

  /** With operations: writes them atomically. Without: returns a chained batch to fill and write(). */
  batch(): ChainedBatch
  batch(operations: BatchOperation[], options?: WriteOptions): Promise<void>
  batch(operations?: BatchOperation[], options?: WriteOptions): ChainedBatch | Promise<void> {
    if (operations === undefined) {
      this.checkWritable('batch')
      return new ChainedBatch(this)
    }
    return this.writeOps((ops) => addOperations(ops, operations, this.s.options.clock), options)
  }

  private async writeOps(fill: (ops: BatchOps) => void, options: WriteOptions | undefined): Promise<void> {
    this.checkWritable('write')
    const ops = new BatchOps()
    fill(ops)
    return this.writeBatchOps(ops, options)
  }

  /** @internal the chained batch's write. */
  async writeBatchOps(ops: BatchOps, options: WriteOptions | undefined): Promise<void> {
    this.checkWritable('write')
    if (ops.length === 0) return
    return this.writes.write(ops, options?.sync)
  }

  /**
   * A WriteBatch for bulk loads (BadgerDB's NewWriteBatch): no size limit, committed in chunks as
   * it fills, so not atomic as a whole. Call flush() at the end.
   */
  writeBatch(options: WriteOptions = {}): WriteBatch {
    this.checkWritable('writeBatch')
    return new WriteBatch({ clock: this.s.options.clock, write: (ops, sync) => this.writeBatchOps(ops, { sync }) }, options.sync)
  }

  // ---------------------------------------------------------------- transactions and friends

  /**
   * Runs `fn` in a serializable read-write transaction and commits it (BadgerDB's Update): it
   * reads at a snapshot, sees its own writes, and commits them atomically. If a key it read was
   * committed by someone else meanwhile, the commit fails with ConflictError, writing nothing; with
   * `retries` the whole function runs again that many more times first. If `fn` throws, nothing
   * is written. Resolves with what `fn` returned.
   */
  async transaction<T>(fn: (txn: Transaction) => T | Promise<T>, options: { retries?: number; sync?: boolean } = {}): Promise<T> {
    this.checkWritable('transaction')
    return this.txns().transaction(fn, options)
  }

  /** Runs `fn` in a read-only transaction (BadgerDB's View): one snapshot, never a conflict. */
  view<T>(fn: (txn: Transaction) => T | Promise<T>): Promise<T> {
    this.s.checkOpen()
    return this.txns().view(fn)
  }

  private txns(): TransactionRunner {
    this.transactionRunner ??= new TransactionRunner(transactionHost(this.rooms, {
      snapshot: () => this.snapshot(),
      getSync: (key, opts) => this.getSync(key, opts),
      iterator: (opts) => this.iterator(opts as IteratorOptions & { keysOnly?: false }),
    }), () => this.writes.idle())
    return this.transactionRunner
  }

  /**
   * A sequence of increasing integers stored at `key`, leased `bandwidth` at a time (BadgerDB's
   * GetSequence); numbers never repeat, across restarts and crashes alike. release() it when done.
   */
  sequence(key: Bytes, bandwidth: number): Sequence {
    this.checkWritable('sequence')
    return new Sequence({
      getSync: (k) => this.getSync(k),
      put: (k, value, o) => this.put(k, value, o),
      exclusive: (step) => this.sequenceLeases.run(step),
    }, toOwnedKey(key), bandwidth)
  }

  /**
   * Calls `callback` with every committed change whose key starts with one of `prefixes` (all
   * keys when none are given), in commit order, once each write is in the WAL; with `since`,
   * every change after that version first (engine/change-feed.ts). Resolves when `signal`
   * aborts or the database closes; rejects if the callback throws.
   */
  subscribe(options: { since?: number; prefixes?: Bytes[]; signal?: AbortSignal } & SubscribeLimits, callback: ChangeCallback): Promise<void> {
    this.s.checkOpen()
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError('subscribe options must be an object')
    return subscribe(this.rooms, options, (options.prefixes ?? []).map((p) => toOwnedBound(p, 'prefix')), callback)
  }

  /** The values of `keys` (undefined where absent), all read at one snapshot (the given one, or now). */
  async getMany(keys: Bytes[], options: ReadOptions = {}): Promise<(Buffer | undefined)[]> {
    return this.getManySync(keys, options)
  }

  getManySync(keys: Bytes[], options: ReadOptions = {}): (Buffer | undefined)[] {
    this.s.checkOpen()
    return getMany(this, keys, checkReadOptions(options))
  }

  /**
   * Deletes the keys of a range as one snapshot sees them (abstract-level's clear: gt/gte/lt/lte,
   * prefix, limit from the start, or from the end with reverse), in batches: not atomic as a
   * whole. Resolves with how many keys it deleted.
   */
  clear(options: ClearOptions = {}): Promise<number> {
    this.checkWritable('clear')
    return clearRange(this, options)
  }

  /** `await using db = await open(...)` closes it at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  /**
   * Value-log GC, BadgerDB's contract: rewrites at most one file whose garbage is at least
   * `discardRatio` of it, and resolves true if it did (loop until false to collect all). Calls
   * run one at a time; the active file is never rewritten, but it is closed when it is the only
   * candidate so its garbage is not stuck.
   */
  async runValueLogGC(discardRatio = 0.5): Promise<boolean> {
    this.checkWritable('runValueLogGC')
    return (await this.rooms.vlogMaintenance.gc.run(discardRatio)).fileNumber !== undefined
  }

  // ---------------------------------------------------------------- reads (engine/read-path.ts)

  /** The value of `key`, or undefined. The result is a copy the caller owns. */
  async get(key: Bytes, options?: ReadOptions): Promise<Buffer | undefined> {
    return this.getSync(key, options)
  }

  /** get() without the promise: every block read is a synchronous, usually cached, read. */
  getSync(key: Bytes, options?: ReadOptions): Buffer | undefined {
    this.s.checkOpen()
    const k = toKey(key)
    const r = this.reads.find(k, this.reads.readSeq(checkReadOptions(options)))
    return r === undefined ? undefined : this.reads.resolveValue(r.kind, r.value, k)
  }

  /** The value of `key` with its version, expiry and metadata byte, or undefined. */
  getEntry(key: Bytes, options?: ReadOptions): StoredEntry | undefined {
    this.s.checkOpen()
    return this.reads.entry(toKey(key), this.reads.readSeq(checkReadOptions(options)))
  }

  /** Whether `key` has a value, answered from the LSM alone: a value-log value is never read. */
  async has(key: Bytes, options?: ReadOptions): Promise<boolean> {
    return this.hasSync(key, options)
  }

  hasSync(key: Bytes, options?: ReadOptions): boolean {
    this.s.checkOpen()
    const k = toKey(key)
    return this.reads.find(k, this.reads.readSeq(checkReadOptions(options))) !== undefined
  }

  /** An ordered iterator over a range, prefix or everything, at the latest state or a snapshot. */
  iterator(options?: IteratorOptions & { keysOnly?: false }): DBIterator<Buffer>
  iterator(options: IteratorOptions & { keysOnly: true }): DBIterator<undefined>
  iterator(options: IteratorOptions = {}): DBIterator<Buffer | undefined> {
    this.s.checkOpen()
    // DBIterator copies every key and value it hands out: its tables' blocks can be recycled.
    return this.reads.pinnedIterator(options, this.reads.readSeq(options), true).it
  }

  /**
   * Streams a backup of a snapshot taken now into a file (written whole, then renamed into place)
   * or a writable stream (left open). With `since` (the `until` of an earlier backup), only keys
   * whose newest version is newer, deletions included. Resolves with `until`, the `since` of the
   * next one. Format: docs/format.md, "Backups".
   */
  backup(dest: BackupDestination, options?: BackupOptions): Promise<BackupResult> {
    this.s.checkOpen()
    return writeBackup(backupHost(this.rooms, () => this.snapshot()), dest, options)
  }

  /**
   * Applies a backup through the normal write path (BadgerDB's DB.Load), after checking all of it:
   * a damaged or cut backup writes nothing. A full backup needs a database never written to; an
   * incremental one a database at or past its `since`. Do not write to the database meanwhile.
   */
  async load(source: BackupSource, options?: LoadOptions): Promise<BackupSummary> {
    this.checkWritable('load')
    return loadBackup(this.loadTarget(), source, options)
  }

  /** @internal what engine/backup.ts and engine/restore.ts write through. */
  loadTarget(): LoadTarget {
    this.checkWritable('load')
    return loadTarget(this.rooms, (ops, sync) => this.writeBatchOps(ops, { sync }))
  }

  /**
   * Approximate bytes the tables spend on keys in [start, end), from each table's block offsets
   * (as LevelDB estimates it). Data still in memtables is not counted.
   */
  approximateSize(start: Bytes, end: Bytes): number {
    this.s.checkOpen()
    return this.reads.approximateSize(toKey(start), toKey(end))
  }

  /** A consistent point-in-time view for reads; release() it when done. */
  snapshot(): Snapshot {
    this.s.checkOpen()
    return this.s.snapshots.create(this.s.versions.lastSeq)
  }

  // ---------------------------------------------------------------- background (engine/background.ts)

  /** Flushes the memtable to an L0 table now (a no-op when it is empty). */
  async flush(): Promise<void> {
    this.checkWritable('flush')
    await this.writes.rotateIfNotEmpty()
    await this.lanes.drainFrozen()
  }

  /**
   * Compacts every table overlapping [start, end] (all when omitted) down, level by level, so
   * the range ends up in as few levels as possible with overwritten and deleted data dropped.
   * Runs in the compaction lane, between other compactions, never beside them.
   */
  async compactRange(start?: Bytes, end?: Bytes, options?: { onProgress?: ProgressCallback }): Promise<void> {
    this.checkWritable('compactRange')
    const lo = start === undefined ? undefined : toKey(start)
    const hi = end === undefined ? undefined : toKey(end)
    await this.flush()
    await this.lanes.compactRange(lo, hi, options?.onProgress)
  }

  /**
   * Compacts everything into one level (BadgerDB's Flatten): compactRange() over all keys carries
   * every table down to the deepest level holding data. Writes made meanwhile may land above it.
   */
  flatten(): Promise<void> {
    return this.compactRange()
  }

  /**
   * Deletes every key starting with one of `prefixes` (BadgerDB's DropPrefix), as of the call:
   * writes queued before it are dropped, later ones are not. It records the drop in the manifest
   * rather than rewriting data, so it is quick whatever the amount dropped: reads hide the
   * dropped entries from then on (snapshots included), tables holding nothing else are deleted at
   * once, and compactions leave the rest out as they pass. An empty prefix drops everything.
   */
  async dropPrefix(...prefixes: Bytes[]): Promise<void> {
    this.checkWritable('dropPrefix')
    if (prefixes.length === 0) throw new InvalidArgumentError('dropPrefix needs at least one prefix')
    await dropPrefixes(this.rooms, prefixes.map((p) => toOwnedBound(p, 'prefix')))
  }

  /** Deletes every key (BadgerDB's DropAll): dropPrefix with the empty prefix. */
  dropAll(): Promise<void> {
    return this.dropPrefix(new Uint8Array(0))
  }

  // ---------------------------------------------------------------- lifecycle

  stats(): DBStats {
    const r = this.rooms
    return collectStats(this.s, this.lanes.pickerOptions(), r.vlogMaintenance.gc, r.oracle, this.recoveryReport, r.subscriptions)
  }

  /** @internal the clock TTLs are measured by. */
  get clock(): () => number {
    return this.s.options.clock
  }

  get isOpen(): boolean {
    return this.s.lifecycle === 'open'
  }

  /** Whether the database was opened with `readOnly: true`. */
  get readOnly(): boolean {
    return this.s.options.readOnly
  }

  /**
   * Waits for queued writes (the compaction lane goes on while one waits behind a stall), lets the
   * running background step finish, syncs the WAL (so writes made without `sync` survive a clean
   * close), closes iterators and files, and releases the lock. Every call returns the same
   * promise, so whoever awaits any of them may reopen at once.
   */
  close(): Promise<void> {
    this.closing ??= this.closeOnce()
    return this.closing
  }

  private async closeOnce(): Promise<void> {
    if (this.s.lifecycle !== 'open') return
    const lock = this.lock
    this.lock = undefined
    await closeEngine(this.s, this.writes, this.lanes, this.rooms.subscriptions, lock)
  }

  private checkWritable(operation: string): void {
    this.s.checkOpen()
    if (this.s.options.readOnly) throw new ReadOnlyError(operation)
    this.s.failure.check()
  }
}

export { ChainedBatch }
export type { BatchOperation, DBStats, PutOptions, ReadOptions, StoredEntry, Version, WriteOptions }
