// engine: the database — open, the write path, reads, iterators, snapshots, flush, compaction, recovery.
// Relies on every folder below it: compaction/, manifest/, sstable/, wal/, memtable/, base/.
// Nothing below imports it.
//
// Rooms (each file's header says what it owns, what state it may touch and what it must never do):
//   db.ts                     the face: open, close, public methods that check input and delegate
//   rooms.ts                  builds the rooms and wires them; the hosts feature rooms see them by
//   state.ts                  EngineState, the one object the rooms share (memtable, WAL, versions…)
//   write-path.ts             group commit (with write-queue.ts), value separation, stalls, rotation
//   read-path.ts              lookups, visibility (base/visibility.ts), value resolution, iterators
//   background.ts             the flush lane and the compaction lane (manual compactions, drops)
//   value-log-maintenance.ts  relocation, retirement, auto GC (the scan itself: value-log-gc.ts)
//   lifecycle.ts              the steps of open and close; stats.ts the numbers stats() reports
//   recovery.ts, backup.ts, inspect.ts, transaction.ts (+ transaction-runner.ts), oracle.ts,
//   subscriptions.ts, change-feed.ts (subscribe({ since })): features with rooms of their own;
//   repair.ts (+ repair-survey.ts) rebuilds a damaged directory, salvage-iterator.ts reads tables
//   past damaged blocks (repair, backup-scan.ts), progress.ts the onProgress hooks.
//   tests/layering.test.ts holds the import rules.

import { DB } from './db.js'
import type { Options } from './options.js'

/** Opens (or creates) the database in `dir`. */
export function open(dir: string, options?: Options): Promise<DB> {
  return DB.open(dir, options)
}

export { DB, ChainedBatch, type BatchOperation, type WriteOptions, type PutOptions, type ReadOptions, type DBStats, type StoredEntry } from './db.js'
export { DBIterator, type IteratorOptions, type Entry } from './iterator.js'
export type { EntryInfo } from './db-iterator.js'
export type { EntryOptions } from './input.js'
export { Transaction, TransactionIterator } from './transaction.js'
export { WriteBatch } from './bulk-write-batch.js'
export { Sequence } from './sequence.js'
export type { Change, ChangeCallback, SubscribeLimits } from './subscriptions.js'
export { Snapshot } from './snapshot.js'
export { type Options, MAX_KEY_SIZE, MAX_VALUE_SIZE } from './options.js'
export { type RecoveryReport } from './recovery.js'
export { type BackupOptions, type BackupResult, type BackupDestination, type BackupSource, type LoadOptions } from './backup.js'
export { type BackupSummary, type BackupHeader } from './backup-format.js'
export { restore, type RestoreOptions } from './restore.js'
export { rotateMasterKey } from './encryption.js'
export {
  SettError, InvalidArgumentError, CorruptionError, ClosedError, LockError, IOError, NotFoundError, ConflictError,
  TransactionTooLargeError, ReadOnlyError, EncryptionKeyError, FailedError, SubscriberOverflowError, HistoryUnavailableError, type ErrorCode,
} from '../base/errors.js'
export { MemFileSystem, CrashError } from '../base/mem-fs.js'
export { IOFaultFileSystem, type IOFault, type IOFaultKind, type IOErrno, IO_FAULT_KINDS } from '../base/io-fault-fs.js'
export { RealFileSystem } from '../base/real-fs.js'
export type { FileSystem } from '../base/fs.js'
export { inspectDatabase, verifyDatabase, lockHolder, type DatabaseInfo, type TableInfo, type VerifyResult, type VerifyProblem, type InspectOptions } from './inspect.js'
export { repair, type RepairOptions, type RepairReport } from './repair.js'
export type { SkippedBlock } from './salvage-iterator.js'
export type { ProgressCallback } from './progress.js'
