// DB: the coordinator. It owns the write path (writer queue → WAL → memtable), the read path
// (memtable → frozen memtables → L0 newest first → one table per level), and the background loop
// that flushes frozen memtables and runs compactions, applying each result as one manifest edit.
//
// Concurrency: everything runs on the event loop. Only the writer queue's leader inserts into the
// memtable; only the background loop writes the manifest. Reads are synchronous and see a
// consistent state because nothing changes between their steps.

import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import { ClosedError, ConflictError, InvalidArgumentError, ReadOnlyError } from '../base/errors.js'
import { LOCK_FILE, filePath, tableFileName, walFileName } from '../base/filenames.js'
import { EngineFailure } from './failure.js'
import type { FileLock, FileSystem } from '../base/fs.js'
import { isDropped, rangeWithinPrefix } from '../base/dropped-prefixes.js'
import { entryExpiresAt, entryMeta, entryPayload, hasHeader, isDeadEntry, isPointerKind, replacePayload } from '../base/entry-value.js'
import { KIND_FOR_SEEK, Kind, MAX_SEQ, compareBytes } from '../base/internal-key.js'
import type { InternalIterator, LookupResult } from '../base/internal-iterator.js'
import { MergingIterator } from '../base/merging-iterator.js'
import {
  type CompactionPlan, type CompactionRunner, type Retention, InlineCompactionRunner, WorkerCompactionRunner, levelScores, levelTargets,
  manualOutputLevel, outputNumbersNeeded, pickCompaction, planCompaction,
} from '../compaction/index.js'
import { FileMetadata, LevelIterator, type ManifestWriter, NUM_LEVELS, type TableMeta, type Version, VersionSet, emptyEdit } from '../manifest/index.js'
import { Memtable } from '../memtable/index.js'
import { BlockCache, type OpenedTable, TableReader, type TableWriterOptions } from '../sstable/index.js'
import { type ValueLogEntry, ValueLog, decodePointer, encodePointer } from '../vlog/index.js'
import { LogWriter } from '../wal/index.js'
import { Encryption } from './encryption.js'
import { DBIterator, type IteratorOptions } from './iterator.js'
import { type BackupDestination, type BackupOptions, type BackupResult, type BackupSource, type LoadOptions, type LoadTarget, loadBackup, writeBackup } from './backup.js'
import type { BackupSummary } from './backup-format.js'
import { type Bytes, type EntryOptions, toEntryHeader, toKey, toOwnedBound, toOwnedKey, toOwnedValue } from './input.js'
import { type Options, type ResolvedOptions, resolveOptions } from './options.js'
import { type RecoveryReport, recover } from './recovery.js'
import { Snapshot, SnapshotList } from './snapshot.js'
import { type RelocationCandidate, ValueLogGC, liveness } from './value-log-gc.js'
import { BatchOps, encodeBatchRecord, encodeRelocationRecord } from './write-batch.js'
import { type PendingWrite, WriteQueue } from './write-queue.js'
import { Oracle, type CommitRecord } from './oracle.js'
import { Sequence } from './sequence.js'
import { type ChangeCallback, Subscriptions } from './subscriptions.js'
import { Transaction, type TransactionHost } from './transaction.js'
import { WriteBatch } from './bulk-write-batch.js'

export interface WriteOptions {
  /** Wait for the WAL to reach the disk before resolving. Default: the database's `sync` option. */
  sync?: boolean
}

/** put()'s options: durability, and the entry's expiry and metadata byte. */
export interface PutOptions extends WriteOptions, EntryOptions {}

export interface ReadOptions {
  /** Read at this snapshot instead of the latest state. */
  snapshot?: Snapshot
}

export type BatchOperation =
  | ({ type: 'put'; key: Bytes; value: Bytes } & EntryOptions)
  | { type: 'del'; key: Bytes }

/** What getEntry() returns: the value and what the LSM knows of it. */
export interface StoredEntry {
  value: Buffer
  /** The sequence number of the write (BadgerDB's version). */
  version: number
  /** Expiry time in ms since the epoch, 0 for never. */
  expiresAt: number
  meta: number
}

interface FrozenMemtable {
  mem: Memtable
  walNumber: number
}

export interface DBStats {
  lastSeq: number
  memtable: { bytes: number; entries: number }
  immutableMemtables: number
  levels: { level: number; files: number; bytes: number; score: number; targetBytes: number }[]
  flushes: number
  compactions: number
  /** Whether flushes and compactions run in the worker thread (compactionWorker). */
  compactionInWorker: boolean
  trivialMoves: number
  compactionBytesRead: number
  compactionBytesWritten: number
  walBytesWritten: number
  valueLogBytesWritten: number
  /** Live value-log files: size, garbage counted by compaction, and their ratio. */
  valueLogs: { number: number; bytes: number; discardBytes: number; discardRatio: number; active: boolean }[]
  stalls: number
  stallMs: number
  snapshots: number
  openIterators: number
  blockCacheBytes: number
  valueLogGC: { runs: number; filesCollected: number; bytesReclaimed: number }
  /** dropPrefix()/dropAll() records in force (forgotten at an open once no table holds what they cover). */
  droppedPrefixes: number
  /** Commits refused with ConflictError, and commits the oracle still remembers for checks. */
  transactions: { conflicts: number; trackedCommits: number }
  recovery: RecoveryReport
}

type State = 'open' | 'closing' | 'closed'

/** The longest the write path runs on without letting the event loop turn. */
const YIELD_AFTER_MS = 4

/** A dropPrefix()/dropAll() call waiting for the background loop to record it. */
interface PendingDrop {
  prefixes: Uint8Array[]
  seq: number
  done: () => void
  fail: (err: unknown) => void
}

/** A compactRange() call: `level` is the next level to compact out of. */
interface ManualCompaction {
  lo: Uint8Array | undefined
  hi: Uint8Array | undefined
  level: number
  /** Tables numbered from here on were written by this call's own steps. */
  firstOutput: number
  done: () => void
  fail: (err: unknown) => void
}

export class DB {
  readonly dir: string
  private readonly options: ResolvedOptions
  private readonly fs: FileSystem
  private readonly tableOptions: TableWriterOptions
  private readonly cache: BlockCache
  private readonly vlog: ValueLog
  private readonly runner: CompactionRunner
  /** Flushes get a worker of their own, so a long compaction never holds a flush (and writers) up. */
  private readonly flushRunner: CompactionRunner
  private readonly gc: ValueLogGC
  private readonly encryption: Encryption | undefined
  /** Retired value-log files, deleted once the iterators open at retirement have closed. */
  private readonly retiredValueLogs: { number: number; waitFor: Set<DBIterator<unknown>> }[] = []
  private autoGCPending = false
  private readonly versions: VersionSet
  private readonly snapshots = new SnapshotList()
  private readonly iterators = new Set<DBIterator<unknown>>()
  private readonly writeQueue: WriteQueue
  private readonly compactCursors: (Uint8Array | undefined)[] = []
  private lock: FileLock | undefined
  private manifest!: ManifestWriter
  private wal!: LogWriter
  private walNumber = 0
  private mem: Memtable
  /** Newest first. */
  private frozen: FrozenMemtable[] = []
  private state: State = 'open'
  /** The one failure rule (engine/failure.ts): once set, every write path throws it. */
  private readonly failure = new EngineFailure()
  private background: Promise<void> | undefined
  private flushing: Promise<void> | undefined
  private progressWaiters: (() => void)[] = []
  private lastYield = 0
  private readonly manualCompactions: ManualCompaction[] = []
  private readonly pendingDrops: PendingDrop[] = []
  private readonly oracle = new Oracle()
  private readonly subscriptions = new Subscriptions()
  private transactionHost: TransactionHost | undefined
  /** Sequence leases of this database run one at a time. */
  private sequenceLeases: Promise<unknown> = Promise.resolve()
  private recoveryReport!: RecoveryReport
  private readonly counters = {
    flushes: 0, compactions: 0, trivialMoves: 0, compactionBytesRead: 0, compactionBytesWritten: 0,
    walBytesWritten: 0, valueLogBytesWritten: 0, stalls: 0, stallMs: 0,
  }

  private constructor(dir: string, options: ResolvedOptions, encryption: Encryption | undefined) {
    this.dir = dir
    this.encryption = encryption
    if (encryption) encryption.onFailure = (err) => this.failure.fail(err)
    this.options = options
    this.fs = options.fs
    this.tableOptions = {
      blockSize: options.blockSize,
      bloomBitsPerKey: options.bloomBitsPerKey,
      compression: options.compression,
    }
    this.cache = new BlockCache(options.blockCacheSize)
    this.runner = options.compactionWorker ? new WorkerCompactionRunner(options.fs, encryption?.workerKeys) : new InlineCompactionRunner(options.fs)
    this.flushRunner = options.compactionWorker ? new WorkerCompactionRunner(options.fs, encryption?.workerKeys) : this.runner
    this.vlog = new ValueLog(options.fs, dir, {
      maxFileSize: options.valueLogFileSize, maxEntries: options.valueLogMaxEntries, maxOpenFiles: 64,
    })
    this.versions = new VersionSet((f) => this.onObsoleteTable(f))
    this.writeQueue = new WriteQueue((group) => this.commitGroup(group))
    this.mem = this.newMemtable()
    this.gc = new ValueLogGC({
      vlog: this.vlog,
      discards: () => this.versions.valueLogs,
      rotateValueLog: () => this.writeQueue.runExclusive(() => this.vlog.closeActive().catch((err: unknown) => {
        throw this.failure.fail(err)
      })),
      flush: () => this.flush(),
      lookup: (key, seq) => this.lookup(key, seq),
      isHidden: (key, r) => this.isHidden(key, r),
      lastSeq: () => this.versions.lastSeq,
      snapshotSeqs: () => this.snapshots.seqs(),
      relocate: (entries) => this.writeQueue.runExclusive(() => this.relocate(entries)),
      retire: (n) => this.retireValueLog(n),
    })
  }

  /**
   * Reserving the whole limit up front avoids grow-and-copy; untouched pages cost no RSS. With
   * the worker, the arena is shared so the worker can flush the memtable without a copy.
   */
  private newMemtable(): Memtable {
    const size = this.options.memtableSize
    return new Memtable({
      initialArenaSize: Math.min(size + 1024 * 1024, 2 ** 31), keyFilterBits: size / 8, shared: this.runner.inWorker,
    })
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
    const { fs, dir } = this
    const readOnly = this.options.readOnly
    if (this.options.createIfMissing) fs.mkdir(dir)
    else fs.list(dir) // NotFoundError when the directory is missing
    this.lock = fs.lock(filePath(dir, LOCK_FILE), readOnly ? 'shared' : 'exclusive')
    try {
      await this.encryption?.persist()
      const state = await recover({
        fs, dir, options: this.options, versions: this.versions,
        openTable: (f) => this.openTable(f),
        flush: (mem) => this.writeLevel0(mem),
        valueLog: this.vlog,
        readOnly,
      })
      // Read-only: no manifest or WAL is open (every write path checks writability first), and
      // the replayed WALs stay in memory as frozen memtables that are never flushed.
      this.manifest = state.manifest!
      this.wal = state.wal!
      this.walNumber = state.walNumber
      this.recoveryReport = state.report
      this.frozen = state.memtables.reverse().map((mem) => ({ mem, walNumber: 0 }))
    } catch (err) {
      this.state = 'closed'
      for (const f of this.versions.current.allFiles()) f.reader?.close()
      await this.vlog.close().catch(() => undefined)
      await this.runner.close()
      if (this.flushRunner !== this.runner) await this.flushRunner.close()
      await this.encryption?.close()
      this.lock.release()
      throw err
    }
    this.scheduleBackgroundWork()
  }

  // ---------------------------------------------------------------- writes

  put(key: Bytes, value: Bytes, options?: PutOptions): Promise<void> {
    // Without ttl, expiresAt or meta, toEntryHeader gives (0, 0) and putWithHeader a plain put.
    return this.writeOps((ops) => ops.putWithHeader(toOwnedKey(key), toOwnedValue(value), ...toEntryHeader(options, this.options.clock)), options)
  }

  del(key: Bytes, options?: WriteOptions): Promise<void> {
    return this.writeOps((ops) => ops.del(toOwnedKey(key)), options)
  }

  /** With operations: writes them atomically. Without: returns a chained batch to fill and write(). */
  batch(): ChainedBatch
  batch(operations: BatchOperation[], options?: WriteOptions): Promise<void>
  batch(operations?: BatchOperation[], options?: WriteOptions): ChainedBatch | Promise<void> {
    if (operations === undefined) {
      this.checkWritable('batch')
      return new ChainedBatch(this)
    }
    return this.writeOps((ops) => {
      if (!Array.isArray(operations)) throw new InvalidArgumentError('batch operations must be an array')
      for (const op of operations) {
        if (op === null || typeof op !== 'object') throw new InvalidArgumentError('batch operation must be an object')
        if (op.type === 'put') ops.putWithHeader(toOwnedKey(op.key), toOwnedValue(op.value), ...toEntryHeader(op, this.options.clock))
        else if (op.type === 'del') ops.del(toOwnedKey(op.key))
        else throw new InvalidArgumentError(`unknown batch operation type ${String((op as { type: unknown }).type)}`)
      }
    }, options)
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
    // While transactions may be open, every write is registered for their conflict checks.
    const record = this.oracle.tracking ? this.oracle.start(ops.keys) : undefined
    return this.writeTracked(ops, options?.sync, record)
  }

  /** Queues a batch; settles the oracle's record of it with its sequence numbers or its failure. */
  private async writeTracked(ops: BatchOps, syncOption: boolean | undefined, record: CommitRecord | undefined): Promise<void> {
    const sync = syncOption ?? this.options.sync
    try {
      this.checkOpen()
      if (typeof sync !== 'boolean') throw new InvalidArgumentError('options.sync must be a boolean')
      await this.writeQueue.write(ops, sync)
    } catch (err) {
      if (record) this.oracle.finish(record, undefined)
      throw err
    }
    if (record) this.oracle.finish(record, ops.firstSeq + ops.length - 1)
  }

  /**
   * A WriteBatch for bulk loads (BadgerDB's NewWriteBatch): no size limit, committed in chunks as
   * it fills, so not atomic as a whole. Call flush() at the end.
   */
  writeBatch(options: WriteOptions = {}): WriteBatch {
    this.checkWritable('writeBatch')
    return new WriteBatch({
      clock: this.options.clock,
      write: (ops, sync) => this.writeBatchOps(ops, { sync }),
    }, options.sync)
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
    if (typeof fn !== 'function') throw new InvalidArgumentError('transaction needs a function')
    const retries = options.retries ?? 0
    if (!Number.isInteger(retries) || retries < 0) throw new InvalidArgumentError('options.retries must be an integer >= 0')
    if (this.options.detectConflicts && !this.oracle.tracking) {
      // From now on every write is registered; the ones queued before are let through first.
      this.oracle.tracking = true
      await this.writeQueue.idle()
    }
    for (let attempt = 0; ; attempt++) {
      // Read after the commits already decided, so as not to conflict with them needlessly.
      if (this.options.detectConflicts) await this.oracle.settled()
      const txn = new Transaction(this.txnHost())
      try {
        const result = await fn(txn)
        if (txn.isOpen) await txn.commit({ sync: options.sync })
        return result
      } catch (err) {
        txn.discard()
        if (err instanceof ConflictError && attempt < retries) continue
        throw err
      }
    }
  }

  /** Runs `fn` in a read-only transaction (BadgerDB's View): one snapshot, never a conflict. */
  async view<T>(fn: (txn: Transaction) => T | Promise<T>): Promise<T> {
    this.checkOpen()
    if (typeof fn !== 'function') throw new InvalidArgumentError('view needs a function')
    const txn = new Transaction(this.txnHost(), { readOnly: true })
    try {
      return await fn(txn)
    } finally {
      txn.discard()
    }
  }

  private txnHost(): TransactionHost {
    this.transactionHost ??= {
      oracle: this.oracle,
      detectConflicts: this.options.detectConflicts,
      // A commit is one write group, held in memory whole until it is in the memtable.
      maxTransactionBytes: this.options.memtableSize,
      clock: this.options.clock,
      snapshot: () => this.snapshot(),
      getSync: (key, o) => this.getSync(key, o),
      iterator: (o) => this.iterator(o as IteratorOptions & { keysOnly?: false }),
      writeTracked: (ops, sync, record) => this.writeTracked(ops, sync, record),
    }
    return this.transactionHost
  }

  /**
   * A sequence of increasing integers stored at `key`, leased `bandwidth` at a time (BadgerDB's
   * GetSequence); numbers never repeat, across restarts and crashes alike. release() it when done.
   */
  sequence(key: Bytes, bandwidth: number): Sequence {
    this.checkWritable('sequence')
    const k = toOwnedKey(key)
    return new Sequence({
      getSync: (key) => this.getSync(key),
      put: (key, value, o) => this.put(key, value, o),
      exclusive: (step) => {
        const run = this.sequenceLeases.then(step)
        this.sequenceLeases = run.catch(() => undefined)
        return run
      },
    }, k, bandwidth)
  }

  /**
   * Calls `callback` with every committed change whose key starts with one of `prefixes` (all
   * keys when none are given), in commit order, once each write is in the WAL. Resolves when
   * `signal` aborts or the database closes; rejects if the callback throws.
   */
  subscribe(options: { prefixes?: Bytes[]; signal?: AbortSignal }, callback: ChangeCallback): Promise<void> {
    this.checkOpen()
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError('subscribe options must be an object')
    const prefixes = (options.prefixes ?? []).map((p) => toOwnedBound(p, 'prefix'))
    return this.subscriptions.subscribe(prefixes, callback, options.signal)
  }

  /** The writer queue's leader: one WAL record and at most one fsync for the whole group. */
  private async commitGroup(group: PendingWrite[]): Promise<void> {
    this.checkWriters()
    let bytes = 0
    let count = 0
    let sync = false
    for (const w of group) {
      bytes += w.ops.bytes
      count += w.ops.length
      sync ||= w.sync
    }
    await this.makeRoomForWrite(bytes)
    // Writes that complete without I/O resolve through microtasks alone: a caller awaiting one
    // put after another would never let the event loop turn (timers, I/O, an inline flush all
    // wait). So the leader gives the event loop a turn once this much time has passed.
    const now = performance.now()
    if (now - this.lastYield >= YIELD_AFTER_MS) {
      await yieldToEventLoop()
      this.lastYield = performance.now()
      if (this.state === 'closed') throw new ClosedError()
    }
    const firstSeq = this.versions.lastSeq + 1
    // The change feed reports values as written, before large ones become pointers.
    const captured = this.subscriptions.active ? this.subscriptions.capture(group.map((w) => w.ops)) : undefined
    try {
      // Large values go to the value log first, and reach the disk before the WAL record that
      // points at them. Every WAL fsync comes after a value-log fsync (whether or not this group
      // appended to it), so a durable WAL record never points past the value log's durable end:
      // on recovery, a record that does is in the unsynced tail of the newest WAL. The two fsyncs
      // are not run at once on purpose: the record's claim then covers its own values, so a
      // value-log file cut at rest below them is reported, not taken for a crash.
      await this.separateValues(group, firstSeq, bytes)
      if (sync) await this.vlog.sync()
      const record = encodeBatchRecord(firstSeq, group.map((w) => w.ops), this.vlog.durableEnd)
      this.wal.append(record)
      this.counters.walBytesWritten += record.length
      if (sync) await this.wal.sync()
    } catch (err) {
      // The WAL may now hold a record we cannot vouch for: stop accepting writes.
      throw this.failure.fail(err)
    }
    let seq = firstSeq
    try {
      for (const w of group) {
        const { kinds, keys, values } = w.ops
        w.ops.firstSeq = seq
        for (let i = 0; i < kinds.length; i++) this.mem.add(keys[i], seq++, kinds[i], values[i])
      }
    } catch (err) {
      // The WAL holds the group but the memtable only part of it: the sequence numbers are
      // spent, and a later group must not reuse them. Only a reopen can replay it whole.
      this.versions.lastSeq = firstSeq + count - 1
      throw this.failure.fail(err)
    }
    this.versions.lastSeq = firstSeq + count - 1
    if (captured) this.subscriptions.publish(captured, firstSeq)
  }

  /**
   * Throws the engine's failure. A writer that failed outside the write path (GC closing the
   * active value-log file, say) fails the engine here at the latest.
   */
  private checkWriters(): void {
    const stopped = this.vlog.failed ?? this.wal.failed ?? this.manifest.failed
    if (stopped !== undefined) this.failure.fail(stopped)
    this.failure.check()
  }

  /**
   * Appends the group's values of at least valueThreshold bytes to the value log and replaces
   * them in the batches by pointers. Returns whether it appended anything.
   */
  private async separateValues(group: PendingWrite[], firstSeq: number, bytes: number): Promise<boolean> {
    const threshold = this.options.valueThreshold
    const entries: ValueLogEntry[] = []
    const where: [BatchOps, number][] = []
    let seq = firstSeq
    for (const w of group) {
      const { kinds, keys, values } = w.ops
      for (let i = 0; i < kinds.length; i++, seq++) {
        const kind = kinds[i]
        if ((kind !== Kind.Value && kind !== Kind.ValueWithHeader) || values[i].length < threshold) continue
        const value = entryPayload(kind, values[i])
        if (value.length < threshold) continue
        entries.push({ key: keys[i], seq, value })
        where.push([w.ops, i])
      }
    }
    if (entries.length === 0) return false
    if (this.vlog.needsNewFile(bytes)) await this.startValueLogFile()
    const pointers = this.vlog.append(entries)
    for (let j = 0; j < pointers.length; j++) {
      const [ops, i] = where[j]
      if (ops.kinds[i] === Kind.ValueWithHeader) {
        ops.kinds[i] = Kind.ValuePointerWithHeader
        ops.values[i] = replacePayload(Kind.ValueWithHeader, ops.values[i], encodePointer(pointers[j]))
      } else {
        ops.kinds[i] = Kind.ValuePointer
        ops.values[i] = encodePointer(pointers[j])
      }
    }
    this.counters.valueLogBytesWritten += pointers.reduce((n, p) => n + p.length, 0)
    return true
  }

  /** A new active value-log file: created and synced, then recorded in the manifest, then used. */
  private async startValueLogFile(): Promise<void> {
    const number = this.versions.newFileNumber()
    try {
      await this.vlog.startFile(number)
      const edit = emptyEdit()
      edit.addedValueLogs = [number]
      edit.nextFileNumber = this.versions.nextFileNumber
      await this.manifest.append(edit)
      this.versions.apply(edit)
    } catch (err) {
      throw this.failure.fail(err)
    }
  }

  /**
   * Writes entries value-log GC moves: to the value log, then one WAL record carrying their
   * original sequence numbers, then the memtable. Runs between write groups.
   */
  private async relocate(candidates: RelocationCandidate[]): Promise<boolean> {
    this.checkOpen()
    this.checkWriters()
    // Decided here, between write groups, so no write can land between this check and the insert.
    const ctx = {
      lookup: (k: Uint8Array, s: number) => this.lookup(k, s), lastSeq: () => this.versions.lastSeq,
      snapshotSeqs: () => this.snapshots.seqs(), isHidden: (k: Uint8Array, r: LookupResult) => this.isHidden(k, r),
    }
    const entries: RelocationCandidate[] = []
    for (const c of candidates) {
      const state = liveness(ctx, c, c.fileNumber, c.offset)
      if (state === 'pinned') return false
      if (state === 'newest') entries.push(c)
    }
    if (entries.length === 0) return true
    let bytes = 0
    for (const e of entries) bytes += e.key.length + e.value.length
    if (this.vlog.needsNewFile(bytes)) await this.startValueLogFile()
    const pointers = this.vlog.append(entries).map(encodePointer)
    const relocations = entries.map((e, i) => {
      // A headered pointer keeps its expiry and metadata.
      const stored = this.lookup(e.key, e.seq)!
      if (stored.kind !== Kind.ValuePointerWithHeader) return { key: e.key, seq: e.seq, kind: Kind.ValuePointer, pointer: pointers[i] }
      const pointer = replacePayload(stored.kind, stored.value, pointers[i])
      return { key: e.key, seq: e.seq, kind: Kind.ValuePointerWithHeader, pointer }
    })
    try {
      await this.vlog.sync()
      const record = encodeRelocationRecord(relocations)
      this.wal.append(record)
      await this.wal.sync()
    } catch (err) {
      throw this.failure.fail(err)
    }
    for (const r of relocations) this.mem.add(r.key, r.seq, r.kind, r.pointer)
    return true
  }

  /** Drops a collected value-log file from the manifest; deletes it when no iterator can reach it. */
  private async retireValueLog(number: number): Promise<void> {
    const edit = emptyEdit()
    edit.deletedValueLogs = [number]
    try {
      await this.manifest.append(edit)
    } catch (err) {
      throw this.failure.fail(err)
    }
    this.versions.apply(edit)
    this.retiredValueLogs.push({ number, waitFor: new Set(this.iterators) })
    this.deleteRetiredValueLogs()
  }

  private deleteRetiredValueLogs(closed?: DBIterator<unknown>): void {
    for (let i = this.retiredValueLogs.length - 1; i >= 0; i--) {
      const r = this.retiredValueLogs[i]
      if (closed) r.waitFor.delete(closed)
      if (r.waitFor.size > 0 || this.state === 'closed') continue
      this.retiredValueLogs.splice(i, 1)
      try {
        this.vlog.remove(r.number)
      } catch {
        // Not in the manifest any more: the next open removes it as a leftover.
      }
    }
  }

  /**
   * Value-log GC, BadgerDB's contract: rewrites at most one file whose garbage is at least
   * `discardRatio` of it, and resolves true if it did (loop until false to collect all). Calls
   * run one at a time; the active file is never rewritten, but it is closed when it is the only
   * candidate so its garbage is not stuck.
   */
  async runValueLogGC(discardRatio = 0.5): Promise<boolean> {
    this.checkWritable('runValueLogGC')
    const result = await this.gc.run(discardRatio)
    return result.fileNumber !== undefined
  }

  /** Starts a background GC when automatic GC is on and a file has passed its ratio. */
  private maybeAutoGC(): void {
    const ratio = this.options.autoValueLogGC
    if (ratio === 0 || this.autoGCPending || this.state !== 'open') return
    const ready = [...this.versions.valueLogs].some(([n, discard]) => discard >= ratio * (this.vlog.sizes.get(n) ?? Infinity))
    if (!ready) return
    this.autoGCPending = true
    setImmediate(() => {
      const loop = async (): Promise<void> => {
        while (this.state === 'open' && (await this.gc.run(ratio)).fileNumber !== undefined);
      }
      loop().catch(() => undefined).finally(() => (this.autoGCPending = false))
    })
  }

  /** Freezes a full memtable and waits (back-pressure) while frozen memtables or L0 pile up. */
  private async makeRoomForWrite(bytes: number): Promise<void> {
    let slowed = false
    for (;;) {
      this.failure.check()
      if (this.state !== 'open' && this.state !== 'closing') throw new ClosedError()
      const l0 = this.versions.current.levels[0].length
      if (!slowed && l0 >= this.options.l0SlowdownTrigger && l0 < this.options.l0StopTrigger) {
        slowed = true
        await this.stall(() => new Promise((r) => setTimeout(r, 1)))
        continue
      }
      if (this.mem.count === 0 || this.mem.byteSize + bytes <= this.options.memtableSize) return
      if (this.frozen.length >= this.options.maxImmutableMemtables || l0 >= this.options.l0StopTrigger) {
        this.scheduleBackgroundWork()
        await this.stall(() => this.waitForProgress())
        continue
      }
      await this.rotateMemtable()
    }
  }

  private async stall(wait: () => Promise<void>): Promise<void> {
    const t = performance.now()
    this.counters.stalls++
    await wait()
    this.counters.stallMs += performance.now() - t
  }

  /**
   * Freezes the memtable and starts a new WAL. The old WAL is synced first, so only the newest
   * WAL can ever end in a torn tail; the new name is made durable before anything is acked in it.
   */
  private async rotateMemtable(): Promise<void> {
    // The frozen memtable's pointers must lead to durable values before its table can replace
    // the WAL, and only the newest WAL may point past the value log's durable end.
    // Any failure here fails the engine (wal, walNumber and mem are out of step from wal.close()
    // on); reads, all that is still allowed, use only mem and frozen, which stay right.
    let number: number
    try {
      await this.vlog.sync()
      await this.wal.sync()
      await this.wal.close()
      number = this.versions.newFileNumber()
      this.wal = LogWriter.create(this.fs.create(filePath(this.dir, walFileName(number))), 'wal')
      await this.wal.sync()
      await this.fs.syncDir(this.dir)
    } catch (err) {
      throw this.failure.fail(err)
    }
    this.frozen.unshift({ mem: this.mem, walNumber: this.walNumber })
    this.mem = this.newMemtable()
    this.walNumber = number
    this.scheduleBackgroundWork()
  }

  // ---------------------------------------------------------------- reads

  /** The value of `key`, or undefined. The result is a copy the caller owns. */
  async get(key: Bytes, options?: ReadOptions): Promise<Buffer | undefined> {
    return this.getSync(key, options)
  }

  /** get() without the promise: every block read is a synchronous, usually cached, read. */
  getSync(key: Bytes, options?: ReadOptions): Buffer | undefined {
    this.checkOpen()
    const k = toKey(key)
    const seq = this.readSeq(options)
    const r = this.lookup(k, seq)
    if (r === undefined || this.isHidden(k, r)) return undefined
    return this.resolveValue(r.kind, r.value, k)
  }

  /** The value of `key` with its version, expiry and metadata byte, or undefined. */
  getEntry(key: Bytes, options?: ReadOptions): StoredEntry | undefined {
    this.checkOpen()
    const k = toKey(key)
    const r = this.lookup(k, this.readSeq(options))
    if (r === undefined || this.isHidden(k, r)) return undefined
    return {
      value: this.resolveValue(r.kind, r.value, k), version: r.seq,
      expiresAt: entryExpiresAt(r.kind, r.value), meta: entryMeta(r.kind, r.value),
    }
  }

  /** Whether `key` has a value, answered from the LSM alone: a value-log value is never read. */
  async has(key: Bytes, options?: ReadOptions): Promise<boolean> {
    return this.hasSync(key, options)
  }

  hasSync(key: Bytes, options?: ReadOptions): boolean {
    this.checkOpen()
    const k = toKey(key)
    const r = this.lookup(k, this.readSeq(options))
    return r !== undefined && !this.isHidden(k, r)
  }

  /** Whether a found version reads as absent: a deletion, expired, or dropped by dropPrefix/dropAll. */
  private isHidden(key: Uint8Array, r: LookupResult): boolean {
    if (r.kind === Kind.Delete) return true
    if (hasHeader(r.kind) && isDeadEntry(r.kind, r.value, this.options.clock())) return true
    const drops = this.versions.droppedPrefixes
    return drops.length > 0 && isDropped(drops, key, r.seq)
  }

  private lookup(key: Uint8Array, seq: number): LookupResult | undefined {
    let r = this.mem.get(key, seq)
    if (r) return r
    for (const f of this.frozen) {
      r = f.mem.get(key, seq)
      if (r) return r
    }
    const levels = this.versions.current.levels
    for (const f of levels[0]) {
      if (f.minSeq > seq || !f.overlaps(key, key)) continue
      r = f.reader!.get(key, seq)
      if (r) return r
    }
    for (let level = 1; level < NUM_LEVELS; level++) {
      const f = this.versions.current.findTable(level, key)
      if (f === undefined) continue
      r = f.reader!.get(key, seq)
      if (r) return r
    }
    return undefined
  }

  /** The bytes a stored value stands for: itself, or what its pointer leads to. A copy. */
  private resolveValue(kind: number, value: Uint8Array, key: Uint8Array): Buffer {
    if (kind === Kind.Value) return Buffer.from(value)
    if (kind === Kind.ValueWithHeader) return Buffer.from(entryPayload(kind, value))
    const v = this.vlog.read(decodePointer(entryPayload(kind, value)), key)
    return Buffer.from(v.buffer, v.byteOffset, v.length)
  }

  private readSeq(options: ReadOptions | undefined): number {
    if (options?.snapshot !== undefined) return this.snapshots.check(options.snapshot).seq
    return this.versions.lastSeq
  }

  /** An ordered iterator over a range, prefix or everything, at the latest state or a snapshot. */
  iterator(options?: IteratorOptions & { keysOnly?: false }): DBIterator<Buffer>
  iterator(options: IteratorOptions & { keysOnly: true }): DBIterator<undefined>
  iterator(options: IteratorOptions = {}): DBIterator<Buffer | undefined> {
    this.checkOpen()
    return this.pinnedIterator(options, this.readSeq(options)).it
  }

  /** An iterator and the merged source under it (engine/backup.ts walks the source itself). */
  private pinnedIterator(options: IteratorOptions, readSeq: number): { it: DBIterator<Buffer | undefined>; source: MergingIterator } {
    const version = this.versions.current.ref()
    const children: InternalIterator[] = [this.mem.iterator()]
    for (const f of this.frozen) children.push(f.mem.iterator())
    for (const f of version.levels[0]) children.push(f.reader!.iterator())
    for (let level = 1; level < NUM_LEVELS; level++) {
      if (version.levels[level].length > 0) children.push(new LevelIterator(version.levels[level]))
    }
    const source = new MergingIterator(children)
    const it: DBIterator<Buffer | undefined> = new DBIterator(
      source, options, readSeq,
      { now: this.options.clock(), droppedPrefixes: this.versions.droppedPrefixes },
      (kind, value, key) => this.resolveValue(kind, value, key),
      () => {
        this.iterators.delete(it)
        version.unref()
        if (this.retiredValueLogs.length > 0) this.deleteRetiredValueLogs(it)
      },
    )
    this.iterators.add(it)
    return { it, source }
  }

  /**
   * Streams a backup of a snapshot taken now into a file (written whole, then renamed into place)
   * or a writable stream (left open). With `since` (the `until` of an earlier backup), only keys
   * whose newest version is newer, deletions included. Resolves with `until`, the `since` of the
   * next one. Format: docs/format.md, "Backups".
   */
  backup(dest: BackupDestination, options?: BackupOptions): Promise<BackupResult> {
    this.checkOpen()
    return writeBackup({
      // A backup file is not part of the database: it is written as it is, never encrypted, so it
      // can be restored anywhere (encrypt it yourself, or pass a stream that does).
      fs: this.encryption?.inner ?? this.fs,
      snapshot: () => this.snapshot(),
      tombstoneHorizon: () => this.versions.tombstoneHorizon,
      visibility: () => ({ now: this.options.clock(), droppedPrefixes: this.versions.droppedPrefixes }),
      scan: () => {
        const { it, source } = this.pinnedIterator({}, MAX_SEQ)
        return { source, readValueLog: (p, key) => this.vlog.read(decodePointer(p), key), closed: () => it.closed, close: () => it.close() }
      },
    }, dest, options)
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
    return {
      fs: this.encryption?.inner ?? this.fs, dir: this.dir, lastSeq: () => this.versions.lastSeq,
      write: (ops, sync) => this.writeBatchOps(ops, { sync }),
      raiseLastSeq: (seq) => this.writeQueue.runExclusive(async () => {
        if (seq <= this.versions.lastSeq) return
        const edit = emptyEdit()
        edit.lastSeq = seq
        try {
          await this.manifest.append(edit)
        } catch (err) {
          throw this.failure.fail(err)
        }
        this.versions.apply(edit)
      }),
    }
  }

  /**
   * Approximate bytes the tables spend on keys in [start, end), from each table's block offsets
   * (as LevelDB estimates it). Data still in memtables is not counted.
   */
  approximateSize(start: Bytes, end: Bytes): number {
    this.checkOpen()
    const lo = toKey(start)
    const hi = toKey(end)
    if (compareBytes(lo, hi) >= 0) return 0
    const offsetOf = (f: FileMetadata, key: Uint8Array): number => {
      const r = f.reader!
      const i = r.findBlock(key, MAX_SEQ * 256 + KIND_FOR_SEEK)
      return i < r.blockCount ? r.blockOffset(i) : f.size
    }
    let total = 0
    for (const f of this.versions.current.allFiles()) {
      if (!f.overlaps(lo, hi)) continue
      total += offsetOf(f, hi) - offsetOf(f, lo)
    }
    return total
  }

  /** A consistent point-in-time view for reads; release() it when done. */
  snapshot(): Snapshot {
    this.checkOpen()
    return this.snapshots.create(this.versions.lastSeq)
  }

  // ---------------------------------------------------------------- background work

  /** `opened`: what the worker decoded when it checked the table (saves doing it on this thread). */
  private openTable(f: FileMetadata, opened?: OpenedTable): void {
    const path = filePath(this.dir, tableFileName(f.fileNumber))
    f.reader = opened
      ? TableReader.fromOpened(this.fs, path, f.fileNumber, this.cache, opened)
      : TableReader.open(this.fs, path, f.fileNumber, this.cache)
  }

  private onObsoleteTable(f: FileMetadata): void {
    f.reader?.close()
    f.reader = undefined
    this.cache.dropTable(f.fileNumber)
    if (this.state === 'closed') return
    try {
      this.runner.remove(filePath(this.dir, tableFileName(f.fileNumber)))
    } catch {
      // A file we fail to remove now is a leftover that the next open removes.
    }
  }

  private removeLeftover(path: string): void {
    try {
      this.runner.remove(path)
    } catch {
      // What we fail to remove now is a leftover that the next open removes.
    }
  }

  private smallestSnapshot(): number {
    return this.snapshots.oldest(this.versions.lastSeq)
  }

  private retention(): Retention {
    return {
      now: this.options.clock(), versionsToKeep: this.options.numVersionsToKeep,
      droppedPrefixes: this.versions.droppedPrefixes,
    }
  }

  /**
   * Writes a memtable as one L0 table (none when it is empty), with its reader open: in the
   * worker when its arena is shared, else inline.
   */
  private async writeLevel0(mem: Memtable): Promise<{ tables: FileMetadata[]; valueLogDiscards: Map<number, number> }> {
    if (mem.count === 0) return { tables: [], valueLogDiscards: new Map() }
    const fileNumber = this.versions.newFileNumber()
    const result = await this.flushRunner.flush({
      dir: this.dir, memtable: mem.freeze(), fileNumber, table: this.tableOptions,
      smallestSnapshot: this.smallestSnapshot(), retention: this.retention(),
    }).catch((err: unknown) => {
      this.removeLeftover(filePath(this.dir, tableFileName(fileNumber)))
      throw err
    })
    const tables = result.tables.map((t, i) => {
      const f = new FileMetadata(t)
      this.openTable(f, result.opened?.[i])
      return f
    })
    return { tables, valueLogDiscards: result.valueLogDiscards }
  }

  /**
   * Starts the two background lanes as needed: flushes of frozen memtables, one at a time, and
   * everything else (drops, manual and picked compactions), one at a time. The lanes run side by
   * side: their manifest edits are serialized by the manifest writer, a flush only adds an L0
   * table, and a compaction only deletes tables it marked as compacting.
   */
  private scheduleBackgroundWork(): void {
    if (this.state === 'closed' || this.failure.failed !== undefined || this.options.readOnly) return
    if (!this.flushing && this.frozen.length > 0) {
      this.flushing = this.flushLoop().finally(() => {
        this.flushing = undefined
        this.notifyProgress()
        if (this.state !== 'closed' && this.frozen.length > 0) this.scheduleBackgroundWork()
      })
    }
    if (this.background) return
    let worked = false
    this.background = this.backgroundLoop(() => (worked = true)).finally(() => {
      this.background = undefined
      // A pass that found nothing to do changed nothing: waking waiters while a flush is running
      // would only have them start another pass at once, a loop of microtasks that starves the
      // flush. With no flush running either, they are woken to look again.
      if (worked || !this.flushing) this.notifyProgress()
      // Work queued while the loop was finishing its last pass (it had already looked) would
      // otherwise wait for the next write.
      if (this.state === 'open' && (this.manualCompactions.length > 0 || this.pendingDrops.length > 0)) {
        this.scheduleBackgroundWork()
      }
    })
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.state !== 'closed' && this.frozen.length > 0 && this.failure.failed === undefined) {
        await this.flushOldest()
        this.notifyProgress()
        // A new L0 table may be what the compaction lane was waiting for.
        this.scheduleBackgroundWork()
        this.maybeAutoGC()
      }
    } catch (err) {
      this.failBackground(err)
    }
  }

  private failBackground(err: unknown): void {
    this.failure.fail(err)
    for (const m of this.manualCompactions.splice(0)) m.fail(err)
    for (const d of this.pendingDrops.splice(0)) d.fail(err)
  }

  private async backgroundLoop(onStep: () => void): Promise<void> {
    try {
      for (;;) {
        if (this.state === 'closed' || this.failure.failed !== undefined) return
        if (this.pendingDrops.length > 0) {
          await this.applyDrop(this.pendingDrops[0])
        } else if (this.manualCompactions.length > 0 && this.state === 'open') {
          await this.manualCompactionStep(this.manualCompactions[0])
        } else {
          const plan = this.state === 'open'
            ? pickCompaction(this.versions.current, this.pickerOptions(), this.compactCursors)
            : undefined
          if (!plan) return
          await this.compact(plan)
        }
        onStep()
        this.notifyProgress()
        this.maybeAutoGC()
      }
    } catch (err) {
      this.failBackground(err)
    }
  }

  private notifyProgress(): void {
    const waiters = this.progressWaiters
    this.progressWaiters = []
    for (const w of waiters) w()
  }

  private waitForProgress(): Promise<void> {
    return new Promise((resolve) => {
      this.progressWaiters.push(resolve)
      this.scheduleBackgroundWork()
      if (!this.background && !this.flushing) this.notifyProgress()
    })
  }

  private pickerOptions() {
    return {
      l0CompactionTrigger: this.options.l0CompactionTrigger,
      l0SlowdownTrigger: this.options.l0SlowdownTrigger,
      levelBaseBytes: this.options.levelBaseBytes,
      levelMultiplier: this.options.levelMultiplier,
    }
  }

  /** Flushes the oldest frozen memtable: table durable → manifest edit durable → WAL removed. */
  private async flushOldest(): Promise<void> {
    const oldest = this.frozen[this.frozen.length - 1]
    const { tables, valueLogDiscards } = await this.writeLevel0(oldest.mem)
    const edit = emptyEdit()
    for (const table of tables) edit.addedTables.push({ level: 0, table })
    edit.valueLogDiscards = valueLogDiscards
    // The oldest WAL still needed is the next frozen memtable's, or the live one's.
    edit.logNumber = this.frozen.length > 1 ? this.frozen[this.frozen.length - 2].walNumber : this.walNumber
    edit.nextFileNumber = this.versions.nextFileNumber
    edit.lastSeq = this.versions.lastSeq
    await this.manifest.append(edit)
    this.versions.apply(edit)
    this.frozen.pop()
    this.counters.flushes++
    this.flushRunner.remove(filePath(this.dir, walFileName(oldest.walNumber)))
  }

  private async compact(plan: CompactionPlan): Promise<void> {
    const all = plan.inputs.concat(plan.overlapping)
    const edit = emptyEdit()
    for (const f of plan.inputs) edit.deletedTables.push({ level: plan.level, fileNumber: f.fileNumber })
    if (plan.trivialMove) {
      edit.addedTables.push({ level: plan.outputLevel, table: plan.inputs[0] })
      await this.manifest.append(edit)
      this.versions.apply(edit)
      this.counters.trivialMoves++
      return
    }
    for (const f of all) f.compacting = true
    try {
      const meta = (f: FileMetadata): TableMeta => ({
        fileNumber: f.fileNumber, size: f.size, smallestKey: f.smallestKey, largestKey: f.largestKey,
        minSeq: f.minSeq, maxSeq: f.maxSeq, entryCount: f.entryCount,
      })
      const inputBytes = all.reduce((n, f) => n + f.size, 0)
      // The task may run in another thread: it gets its output file numbers up front.
      const fileNumbers = Array.from({ length: outputNumbersNeeded(inputBytes, this.options.tableTargetSize) }, () =>
        this.versions.newFileNumber())
      const result = await this.runner.run({
        dir: this.dir, level: plan.level, inputs: plan.inputs.map(meta), overlapping: plan.overlapping.map(meta),
        fileNumbers, table: this.tableOptions, targetFileSize: this.options.tableTargetSize,
        smallestSnapshot: this.smallestSnapshot(), dropTombstones: plan.bottommost, retention: this.retention(),
        grandparents: plan.grandparents.map((f) => ({ largestKey: f.largestKey, size: f.size })),
      }).catch((err: unknown) => {
        // Outputs of a failed job are in no manifest: remove them now, not at the next open.
        for (const n of fileNumbers) this.removeLeftover(filePath(this.dir, tableFileName(n)))
        throw err
      })
      for (const f of plan.overlapping) edit.deletedTables.push({ level: plan.outputLevel, fileNumber: f.fileNumber })
      for (const [i, t] of result.tables.entries()) {
        const f = new FileMetadata(t)
        this.openTable(f, result.opened?.[i])
        edit.addedTables.push({ level: plan.outputLevel, table: f })
      }
      edit.nextFileNumber = this.versions.nextFileNumber
      edit.valueLogDiscards = result.valueLogDiscards
      if (result.tombstoneHorizon > this.versions.tombstoneHorizon) edit.tombstoneHorizon = result.tombstoneHorizon
      await this.manifest.append(edit)
      this.versions.apply(edit)
      this.counters.compactions++
      for (const f of all) this.counters.compactionBytesRead += f.size
      this.counters.compactionBytesWritten += result.bytesWritten
    } finally {
      for (const f of all) f.compacting = false
    }
  }

  /** Flushes the memtable to an L0 table now (a no-op when it is empty). */
  async flush(): Promise<void> {
    this.checkWritable('flush')
    await this.writeQueue.runExclusive(async () => {
      if (this.mem.count > 0) await this.rotateMemtable()
    })
    while (this.frozen.length > 0) {
      this.failure.check()
      await this.waitForProgress()
    }
    this.failure.check()
  }

  /**
   * Compacts every table overlapping [start, end] (all when omitted) down, level by level, so
   * the range ends up in as few levels as possible with overwritten and deleted data dropped.
   * Runs in the background loop, between other flushes and compactions, never beside them.
   */
  async compactRange(start?: Bytes, end?: Bytes): Promise<void> {
    this.checkWritable('compactRange')
    const lo = start === undefined ? undefined : toKey(start)
    const hi = end === undefined ? undefined : toKey(end)
    await this.flush()
    this.failure.check()
    await new Promise<void>((done, fail) => {
      this.manualCompactions.push({ lo, hi, level: 0, firstOutput: Infinity, done, fail })
      this.scheduleBackgroundWork()
    })
    // The space is given back when this resolves (tables an iterator still reads excepted).
    await this.runner.removed()
    await this.flushRunner.removed()
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
    const bytes = prefixes.map((p) => toOwnedBound(p, 'prefix'))
    await new Promise<void>((done, fail) => {
      this.writeQueue.runExclusive(async () => {
        this.pendingDrops.push({ prefixes: bytes, seq: this.versions.lastSeq, done, fail })
        this.scheduleBackgroundWork()
      }).catch(fail)
    })
  }

  /** Deletes every key (BadgerDB's DropAll): dropPrefix with the empty prefix. */
  dropAll(): Promise<void> {
    return this.dropPrefix(new Uint8Array(0))
  }

  /** Records a drop in the manifest, deleting the tables it empties, and resolves its caller. */
  private async applyDrop(d: PendingDrop): Promise<void> {
    const edit = emptyEdit()
    edit.lastSeq = this.versions.lastSeq
    edit.droppedPrefixes = d.prefixes.map((prefix) => ({ prefix, seq: d.seq }))
    const discards = new Map<number, number>()
    const version = this.versions.current
    for (let level = 0; level < NUM_LEVELS; level++) {
      for (const f of version.levels[level]) {
        if (f.compacting || f.maxSeq > d.seq || !d.prefixes.some((p) => rangeWithinPrefix(p, f.smallestKey, f.largestKey))) continue
        edit.deletedTables.push({ level, fileNumber: f.fileNumber })
        // Their value-log pointers become garbage: count it, so value-log GC finds those files.
        await this.countPointerBytes(f, discards)
      }
    }
    edit.valueLogDiscards = discards
    await this.manifest.append(edit)
    this.versions.apply(edit)
    this.pendingDrops.shift()
    d.done()
  }

  private async countPointerBytes(f: FileMetadata, into: Map<number, number>): Promise<void> {
    const it = f.reader!.iterator()
    let n = 0
    let last = performance.now()
    try {
      for (it.first(); it.valid(); it.next()) {
        if ((++n & 1023) === 0 && performance.now() - last >= YIELD_AFTER_MS) {
          await yieldToEventLoop()
          last = performance.now()
        }
        if (!isPointerKind(it.kind())) continue
        const p = decodePointer(entryPayload(it.kind(), it.value()))
        into.set(p.fileNumber, (into.get(p.fileNumber) ?? 0) + p.length)
      }
    } finally {
      it.close()
    }
  }

  /** One level of the oldest manual compaction; resolves it when no level is left. */
  private async manualCompactionStep(m: ManualCompaction): Promise<void> {
    const version = this.versions.current
    for (; m.level < NUM_LEVELS; m.level++) {
      const inputs = version.overlapping(m.level, m.lo, m.hi)
      if (inputs.length === 0) continue
      let below = false
      for (let l = m.level + 1; l < NUM_LEVELS; l++) if (version.levels[l].length > 0) below = true
      if ((!below && m.level > 0) || m.level === NUM_LEVELS - 1) {
        // The range's last level is rewritten in place, as LevelDB's CompactRange rewrites its
        // bottom level: otherwise the tombstones and expired entries there would stay forever.
        // Not when this call's previous step just wrote all of it (as bottommost output).
        const level = m.level
        m.level = NUM_LEVELS
        if (inputs.every((f) => f.fileNumber >= m.firstOutput)) continue
        const plan: CompactionPlan = {
          level, outputLevel: level, inputs, overlapping: [], trivialMove: false, bottommost: true, score: 0, grandparents: [],
        }
        await this.compact(plan)
        return
      }
      // Compactions run one at a time in this loop, so no table is busy and a plan always exists.
      const plan = planCompaction(version, m.level, inputs, 0, manualOutputLevel(version, m.level, this.pickerOptions()))!
      m.level = plan.outputLevel
      if (m.firstOutput === Infinity) m.firstOutput = this.versions.nextFileNumber
      await this.compact(plan)
      return
    }
    this.manualCompactions.shift()
    m.done()
  }

  // ---------------------------------------------------------------- lifecycle

  stats(): DBStats {
    const version = this.versions.current
    const scores = levelScores(version, this.pickerOptions())
    const targets = levelTargets(version, this.pickerOptions())
    return {
      lastSeq: this.versions.lastSeq,
      memtable: { bytes: this.mem.byteSize, entries: this.mem.count },
      immutableMemtables: this.frozen.length,
      levels: version.levels.map((files, level) => ({
        level,
        files: files.length,
        bytes: version.levelBytes(level),
        score: scores[level] ?? 0,
        targetBytes: targets[level],
      })),
      ...this.counters,
      compactionInWorker: this.runner.inWorker,
      valueLogs: [...this.versions.valueLogs].map(([number, discardBytes]) => {
        const bytes = this.vlog.sizes.get(number) ?? 0
        return { number, bytes, discardBytes, discardRatio: bytes > 0 ? discardBytes / bytes : 0, active: number === this.vlog.activeNumber }
      }),
      snapshots: this.snapshots.size,
      openIterators: this.iterators.size,
      blockCacheBytes: this.cache.size,
      valueLogGC: { runs: this.gc.runs, filesCollected: this.gc.filesCollected, bytesReclaimed: this.gc.bytesReclaimed },
      droppedPrefixes: this.versions.droppedPrefixes.length,
      transactions: { conflicts: this.oracle.conflicts, trackedCommits: this.oracle.size },
      recovery: this.recoveryReport,
    }
  }

  /** @internal the clock TTLs are measured by. */
  get clock(): () => number {
    return this.options.clock
  }

  get isOpen(): boolean {
    return this.state === 'open'
  }

  /**
   * Waits for queued writes, lets the running background step finish, syncs the WAL (so writes
   * made without `sync` survive a clean close), closes iterators and files, and releases the lock.
   */
  async close(): Promise<void> {
    if (this.state !== 'open') return
    this.state = 'closing'
    let error: unknown
    try {
      await this.writeQueue.idle()
      while (this.background || this.flushing) await (this.background ?? this.flushing)
      for (const m of this.manualCompactions.splice(0)) m.fail(new ClosedError('database closed during compactRange'))
      for (const d of this.pendingDrops.splice(0)) d.fail(new ClosedError('database closed during dropPrefix'))
      if (this.failure.failed === undefined && !this.options.readOnly) {
        await this.vlog.sync()
        await this.wal.sync()
      }
    } catch (err) {
      error = err
    }
    this.state = 'closed'
    this.subscriptions.closeAll()
    for (const it of [...this.iterators]) it.abandon()
    try {
      await this.runner.close()
      if (this.flushRunner !== this.runner) await this.flushRunner.close()
      await this.vlog.close()
      await this.wal?.close()
      await this.manifest?.close()
    } catch (err) {
      error ??= err
    }
    for (const f of this.versions.current.allFiles()) f.reader?.close()
    try {
      await this.encryption?.close()
      this.lock?.release()
    } catch (err) {
      error ??= err
    }
    this.lock = undefined
    if (error !== undefined) throw error
  }

  private checkOpen(): void {
    if (this.state !== 'open') throw new ClosedError()
  }

  private checkWritable(operation: string): void {
    this.checkOpen()
    if (this.options.readOnly) throw new ReadOnlyError(operation)
    this.failure.check()
  }

  /** Whether the database was opened with `readOnly: true`. */
  get readOnly(): boolean {
    return this.options.readOnly
  }
}

/** Operations gathered with put/del and written atomically by write(). */
export class ChainedBatch {
  private readonly db: DB
  private ops = new BatchOps()
  private written = false

  /** @internal use db.batch() */
  constructor(db: DB) {
    this.db = db
  }

  put(key: Bytes, value: Bytes, options?: EntryOptions): this {
    this.check()
    this.ops.putWithHeader(toOwnedKey(key), toOwnedValue(value), ...toEntryHeader(options, this.db.clock))
    return this
  }

  del(key: Bytes): this {
    this.check()
    this.ops.del(toOwnedKey(key))
    return this
  }

  clear(): this {
    this.check()
    this.ops = new BatchOps()
    return this
  }

  get length(): number {
    return this.ops.length
  }

  async write(options?: WriteOptions): Promise<void> {
    this.check()
    this.written = true
    return this.db.writeBatchOps(this.ops, options)
  }

  private check(): void {
    if (this.written) throw new InvalidArgumentError('batch was already written')
  }
}

export type { Version }
