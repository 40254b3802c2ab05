// EngineState: the one object the engine's rooms share — the files, the current memtable and WAL,
// the version set, the lifecycle and the first background failure. db.ts builds it at open and
// hands it to the write path, the read path, the background lanes and value-log maintenance.
//
// Who may change what (everything runs on the event loop, so these are ownership rules, not locks):
// - `mem`, `wal`, `walNumber`, `frozen.unshift`: the write path only, as the writer queue's leader
//   or inside runExclusive (value-log relocation also inserts into `mem` that way).
// - `frozen.pop`, `manifest` edits of tables: the background lanes only.
// - `lifecycle`: db.ts only (open and close). `backgroundError`: set once, by whoever fails first.
// - `iterators`: the read path adds and removes; close() abandons them.
// It holds state and small derived answers only: no I/O, no scheduling.

import { ClosedError } from '../base/errors.js'
import type { FileSystem } from '../base/fs.js'
import type { CompactionRunner, Retention } from '../compaction/index.js'
import type { ManifestWriter, VersionSet } from '../manifest/index.js'
import { Memtable } from '../memtable/index.js'
import type { BlockCache, TableWriterOptions } from '../sstable/index.js'
import type { ValueLog } from '../vlog/index.js'
import type { LogWriter } from '../wal/index.js'
import type { Encryption } from './encryption.js'
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
  /** Flushes get a worker of their own, so a long compaction never holds a flush (and writers) up. */
  readonly flushRunner: CompactionRunner
  readonly iterators = new Set<DBIterator<unknown>>()
  manifest!: ManifestWriter
  wal!: LogWriter
  walNumber = 0
  mem: Memtable
  /** Newest first. */
  frozen: FrozenMemtable[] = []
  lifecycle: Lifecycle = 'open'
  backgroundError: unknown = undefined
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
    this.mem = this.newMemtable()
  }

  /**
   * Reserving the whole limit up front avoids grow-and-copy; untouched pages cost no RSS. With
   * the worker, the arena is shared so the worker can flush the memtable without a copy.
   */
  newMemtable(): Memtable {
    const size = this.options.memtableSize
    return new Memtable({
      initialArenaSize: Math.min(size + 1024 * 1024, 2 ** 31), keyFilterBits: size / 8, shared: this.runner.inWorker,
    })
  }

  checkOpen(): void {
    if (this.lifecycle !== 'open') throw new ClosedError()
  }

  /** Throws the first background failure, after which nothing more may be written. */
  throwIfFailed(): void {
    if (this.backgroundError !== undefined) throw this.backgroundError
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
