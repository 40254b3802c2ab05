// Builds the engine's rooms around one EngineState and wires them to each other: the one place
// that knows which room calls which. DB (engine/db.ts) holds the result and delegates to it.
//
// Owns: nothing after construction; it creates the state, the rooms, the oracle and the
// subscriptions, and the small host objects the feature rooms (transactions, range clear,
// sequences, load) see the engine through.
// Must never: do a room's work. A wiring line here, the rule itself in the room.

import { InlineCompactionRunner, WorkerCompactionRunner } from '../compaction/index.js'
import { VersionSet } from '../manifest/index.js'
import type { Memtable } from '../memtable/index.js'
import { BlockCache } from '../sstable/index.js'
import { ValueLog } from '../vlog/index.js'
import { BackgroundWork } from './background.js'
import { type FeedHost, subscribeSince } from './change-feed.js'
import type { BackupHost, LoadTarget } from './backup.js'
import { entryEstimate, salvagingScan } from './backup-scan.js'
import type { Encryption } from './encryption.js'
import type { resolveOptions } from './options.js'
import { Oracle } from './oracle.js'
import { ReadPath } from './read-path.js'
import { type Snapshot, SnapshotList } from './snapshot.js'
import { EngineState } from './state.js'
import { type ChangeCallback, type SubscribeLimits, Subscriptions } from './subscriptions.js'
import type { TransactionHost } from './transaction.js'
import { ValueLogMaintenance } from './value-log-maintenance.js'
import type { BatchOps } from './write-batch.js'
import { WritePath } from './write-path.js'

export interface Rooms {
  s: EngineState
  writes: WritePath
  reads: ReadPath
  lanes: BackgroundWork
  vlogMaintenance: ValueLogMaintenance
  oracle: Oracle
  subscriptions: Subscriptions
}

/**
 * The smallest memoryBudget at which flushes get a worker thread of their own. Below it (the
 * default budget included) they share the compaction worker, which interleaves a flush with a
 * running compaction (compaction/compaction-worker.ts): a thread costs its own V8 heap and malloc
 * arena, ~40 MiB resident measured during a 1M × 100 B fill, more than the default budget's
 * whole block cache.
 */
export const SEPARATE_FLUSH_WORKER_BUDGET = 256 * 1024 * 1024

/** The rooms of one database; `flush` is the face's flush(), which value-log GC calls. */
export function buildRooms(dir: string, options: ReturnType<typeof resolveOptions>, encryption: Encryption | undefined, flush: () => Promise<void>): Rooms {
  const runner = options.compactionWorker ? new WorkerCompactionRunner(options.fs, encryption?.workerKeys) : new InlineCompactionRunner(options.fs)
  let lanes: BackgroundWork | undefined
  const s = new EngineState({
    dir, options, encryption, runner,
    // Below SEPARATE_FLUSH_WORKER_BUDGET flushes share the compaction worker (see there).
    flushRunner: options.compactionWorker && options.memoryBudget >= SEPARATE_FLUSH_WORKER_BUDGET
      ? new WorkerCompactionRunner(options.fs, encryption?.workerKeys) : runner,
    cache: new BlockCache(options.blockCacheSize),
    vlog: new ValueLog(options.fs, dir, { maxFileSize: options.valueLogFileSize, maxEntries: options.valueLogMaxEntries, maxOpenFiles: 64,
      markReopenedFiles: encryption === undefined, // an encrypted file takes no bytes after a reopen
    }),
    versions: new VersionSet((f) => lanes!.onObsoleteTable(f)),
    snapshots: new SnapshotList(),
  })
  // A failed key-registry rewrite in a rotation fails the engine like any other failed write.
  if (encryption) encryption.onFailure = (err) => s.failure.fail(err)
  const oracle = new Oracle()
  const subscriptions = new Subscriptions()
  let vlogMaintenance: ValueLogMaintenance | undefined
  lanes = new BackgroundWork(s, () => vlogMaintenance!.maybeAutoGC())
  const writes = new WritePath(s, oracle, subscriptions, lanes)
  const reads = new ReadPath(s, (it) => vlogMaintenance!.iteratorClosed(it))
  vlogMaintenance = new ValueLogMaintenance(s, reads, writes, flush)
  return { s, writes, reads, lanes, vlogMaintenance, oracle, subscriptions }
}

/** What transactions read and commit through; the reads are the face's, the commit the write path's. */
export function transactionHost(r: Rooms, face: Pick<TransactionHost, 'snapshot' | 'getSync' | 'iterator'>): TransactionHost {
  const o = r.s.options
  return {
    oracle: r.oracle, detectConflicts: o.detectConflicts, clock: o.clock,
    // A commit is one write group, held in memory whole until it is in the memtable.
    maxTransactionBytes: o.memtableSize,
    snapshot: face.snapshot, getSync: face.getSync, iterator: face.iterator,
    writeTracked: (ops, sync, record) => r.writes.writeTracked(ops, sync, record),
  }
}

/** subscribe(): live from now, or with `since` a catch-up first (engine/change-feed.ts). */
export function subscribe(
  r: Rooms, options: { since?: number; signal?: AbortSignal } & SubscribeLimits, prefixes: Uint8Array[], callback: ChangeCallback,
): Promise<void> {
  const limits = { maxQueueBytes: options.maxQueueBytes, onFull: options.onFull }
  if (options.since === undefined) return r.subscriptions.subscribe(prefixes, callback, options.signal, limits)
  return subscribeSince(feedHost(r), options.since, prefixes, callback, options.signal, limits)
}

function feedHost(r: Rooms): FeedHost {
  const s = r.s
  const scans = r.reads.backupHost(() => s.snapshots.create(s.versions.lastSeq))
  return {
    subscriptions: r.subscriptions,
    // A read-only database has no writer queue, and no writes to keep out of the seam.
    exclusive: (step) => (s.options.readOnly ? step() : r.writes.runExclusive(step)),
    lastSeq: () => s.versions.lastSeq,
    tombstoneHorizon: () => s.versions.tombstoneHorizon,
    mergeHorizon: () => s.versions.mergeHorizon,
    droppedPrefixes: () => s.versions.droppedPrefixes,
    scan: () => scans.scan(),
  }
}

/** What restore and load write through: the normal write path, and a durable raise of the last seq. */
/** What db.backup() reads through: the read path's host, plus the salvaging scan and the entry estimate. */
export function backupHost(r: Rooms, snapshot: () => Snapshot): BackupHost {
  const s = r.s
  const host = r.reads.backupHost(snapshot)
  const memtables = (): Memtable[] => [s.mem, ...s.frozen.map((f) => f.mem)]
  return {
    ...host,
    salvageScan: (onSkip) => salvagingScan(host.scan(), s.versions.current, memtables(), onSkip),
    entryEstimate: () => entryEstimate(s.versions.current, memtables()),
  }
}

export function loadTarget(r: Rooms, write: (ops: BatchOps, sync: boolean) => Promise<void>): LoadTarget {
  const s = r.s
  return {
    fs: s.encryption?.inner ?? s.fs, dir: s.dir, lastSeq: () => s.versions.lastSeq,
    write, raiseLastSeq: (seq) => r.writes.raiseLastSeq(seq),
  }
}

/**
 * Queues a drop of `prefixes` as of now: inside the writer queue, so writes queued before it are
 * dropped and later ones are not. It takes a sequence number of its own, so the change feed can
 * place it among the writes. Resolves once the compaction lane has recorded it.
 */
export function dropPrefixes(r: Rooms, prefixes: Uint8Array[]): Promise<void> {
  return new Promise<void>((done, fail) => {
    r.writes.runExclusive(async () => {
      const seq = r.writes.takeSequenceNumber()
      const recorded = new Promise<void>((recordedOk, recordedFailed) =>
        r.lanes.queueDrop({ prefixes, seq, done: recordedOk, fail: recordedFailed }))
      r.subscriptions.publishDrop(prefixes, seq, recorded)
      recorded.then(done, fail)
    }).catch(fail)
  })
}

/** Runs the sequence leases of one database one at a time. */
export class LeaseQueue {
  private tail: Promise<unknown> = Promise.resolve()

  run<T>(step: () => Promise<T>): Promise<T> {
    const run = this.tail.then(step)
    this.tail = run.catch(() => undefined)
    return run
  }
}
