// engine: the database — open, the write path, reads, iterators, snapshots, flush, compaction, recovery.
// Relies on every folder below it: compaction/, manifest/, sstable/, wal/, memtable/, base/.
// Nothing below imports it.

import { DB } from './db.js'
import type { Options } from './options.js'

/** Opens (or creates) the database in `dir`. */
export function open(dir: string, options?: Options): Promise<DB> {
  return DB.open(dir, options)
}

export { DB, ChainedBatch, type BatchOperation, type WriteOptions, type ReadOptions, type DBStats } from './db.js'
export { DBIterator, type IteratorOptions, type Entry } from './iterator.js'
export { Snapshot } from './snapshot.js'
export { type Options, MAX_KEY_SIZE, MAX_VALUE_SIZE } from './options.js'
export { type RecoveryReport } from './recovery.js'
export { rotateMasterKey } from './encryption.js'
export {
  SettError, InvalidArgumentError, CorruptionError, ClosedError, LockError, IOError, NotFoundError, EncryptionKeyError, type ErrorCode,
} from '../base/errors.js'
export { MemFileSystem, CrashError } from '../base/mem-fs.js'
export { RealFileSystem } from '../base/real-fs.js'
export type { FileSystem } from '../base/fs.js'
export { inspectDatabase, verifyDatabase, lockHolder, type DatabaseInfo, type TableInfo, type VerifyResult, type VerifyProblem, type InspectOptions } from './inspect.js'
