// EngineState: the one object the engine's rooms share — the files, the current memtable and WAL,
// the version set, the lifecycle and the first background failure. db.ts builds it at open and
// hands it to the write path, the read path, the background lanes and value-log maintenance.
//
// Who may change what (everything runs on the event loop, so these are ownership rules, not locks):
// - `mem`, `wal`, `walNumber`, `frozen.unshift`: the write path only, as the writer queue's leader
//   or inside runExclusive (value-log relocation also inserts into `mem` that way).
// - `frozen.pop`, `manifest` edits of tables: the background lanes only.
// - `lifecycle`: db.ts only (open and close). `failure`: recorded once, by whoever fails first
//   (engine/failure.ts: the one failure rule).
// - `stalledWrites`: the write path only (around a stall's wait); the compaction lane reads it.
// - `iterators`: the read path adds and removes; close() abandons them.
// It holds state and small derived answers only: no I/O, no scheduling.

import { ClosedError } from '../base/errors.js'
import type { FileSystem } from '../base/fs.js'
import type { CompactionRunner, Retention } from '../compaction/index.js'
import type { ManifestWriter, VersionEdit, VersionSet } from '../manifest/index.js'
import type { Memtable } from '../memtable/index.js'
import type { BlockCache, TableWriterOptions } from '../sstable/index.js'
import type { ValueLog } from '../vlog/index.js'
import type { LogWriter } from '../wal/index.js'
import { MemoryBudget } from './memory-budget.js'
import type { Encryption } from './encryption.js'
import { EngineFailure } from './failure.js'
import type { DBIterator } from './iterator.js'
import type { ResolvedOptions } from './options.js'
import type { SnapshotList } from './snapshot.js'

export interface FrozenMemtable {
  mem: Memtable
  walNumber: number
}

export type Lifecycle = 'open' | 'closing' | 'closed'

/** The longest the write path (or a background scan) runs on without letting the event loop turn. */
export const YIELD_AFTER_MS = 4

/** The counters stats() reports, bumped by the room that does the work. */
export interface EngineCounters {
  flushes: number
  compactions: number
  trivialMoves: number
  compactionBytesRead: number
  compactionBytesWritten: number
  walBytesWritten: number
  valueLogBytesWritten: number
  stalls: number
  stallMs: number
}

export class EngineState {
  readonly dir: string
  readonly options: ResolvedOptions
  readonly fs: FileSystem
  readonly encryption: Encryption | undefined
  readonly tableOptions: TableWriterOptions
  readonly cache: BlockCache
  readonly vlog: ValueLog
  readonly versions: VersionSet
  readonly snapshots: SnapshotList
  /** Compactions (and flushes when there is no worker). */
  readonly runner: CompactionRunner
  /**
   * Flushes get a worker of their own, so a long compaction never holds a flush (and writers) up;
   * the compaction runner itself under a small memoryBudget (engine/rooms.ts).
   */
  readonly flushRunner: CompactionRunner
  readonly iterators = new Set<DBIterator<unknown>>()
  /** The memory budget's shares and the memtable arena pool (engine/memory-budget.ts). */
  readonly memory: MemoryBudget
  manifest!: ManifestWriter
  wal!: LogWriter
  walNumber = 0
  mem: Memtable
  /** Newest first. */
  frozen: FrozenMemtable[] = []
  lifecycle: Lifecycle = 'open'
  /** Write groups waiting in a stall now; while closing, compactions go on as long as one waits. */
  stalledWrites = 0
  /** The one failure rule (engine/failure.ts): once recorded, every write path throws it. */
  readonly failure = new EngineFailure()
  readonly counters: EngineCounters = {
    flushes: 0, compactions: 0, trivialMoves: 0, compactionBytesRead: 0, compactionBytesWritten: 0,
    walBytesWritten: 0, valueLogBytesWritten: 0, stalls: 0, stallMs: 0,
  }

  constructor(parts: {
    dir: string; options: ResolvedOptions; encryption: Encryption | undefined; cache: BlockCache; vlog: ValueLog
    versions: VersionSet; snapshots: SnapshotList; runner: CompactionRunner; flushRunner: CompactionRunner
  }) {
    this.dir = parts.dir
    this.options = parts.options
    this.fs = parts.options.fs
    this.encryption = parts.encryption
    this.tableOptions = {
      blockSize: parts.options.blockSize,
      bloomBitsPerKey: parts.options.bloomBitsPerKey,
      compression: parts.options.compression,
    }
    this.cache = parts.cache
    this.vlog = parts.vlog
    this.versions = parts.versions
    this.snapshots = parts.snapshots
    this.runner = parts.runner
    this.flushRunner = parts.flushRunner
    this.memory = new MemoryBudget(parts.options, parts.cache)
    this.mem = this.newMemtable()
  }

  /** A new empty memtable (memory-budget.ts: its arena may be a flushed memtable's). */
  newMemtable(): Memtable {
    return this.memory.newMemtable(this.runner.inWorker)
  }

  checkOpen(): void {
    if (this.lifecycle !== 'open') throw new ClosedError()
  }

  /**
   * Throws the engine's failure, after which nothing more may be written. A writer that failed
   * outside the write path (GC closing the active value-log file, say) fails the engine here at
   * the latest.
   */
  throwIfFailed(): void {
    const stopped = this.vlog.failed ?? this.wal?.failed ?? this.manifest?.failed
    if (stopped !== undefined) this.failure.fail(stopped)
    this.failure.check()
  }

  /**
   * Appends a version edit to the manifest, unless the engine has failed meanwhile: a failure in
   * one lane (a compaction's directory fsync, say) may already have cost names another lane is
   * about to publish, and an edit naming a file that is not durable cannot be opened again.
   * Every manifest edit after open goes through here.
   */
  async appendEdit(edit: VersionEdit): Promise<void> {
    this.throwIfFailed()
    await this.manifest.append(edit)
  }

  smallestSnapshot(): number {
    return this.snapshots.oldest(this.versions.lastSeq)
  }

  retention(): Retention {
    return {
      now: this.options.clock(), versionsToKeep: this.options.numVersionsToKeep,
      droppedPrefixes: this.versions.droppedPrefixes,
    }
  }
}
