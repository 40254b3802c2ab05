// The public Options type, its defaults, and resolveOptions(), which fills them in and checks them.
// Every field states its unit, default and why; lower folders get narrow option objects built here.

import { InvalidArgumentError } from '../base/errors.js'
import type { FileSystem } from '../base/fs.js'
import { RealFileSystem } from '../base/real-fs.js'
import { checkAesKey } from '../base/cipher.js'
import { checkOptionNames } from '../base/option-names.js'

export interface Options {
  /** Create the directory and an empty database when missing. Default true. */
  createIfMissing?: boolean
  /** Fail when a database already exists. Default false. */
  errorIfExists?: boolean
  /**
   * Open without writing anything (BadgerDB's ReadOnly): the WALs are replayed into memory, so
   * every acknowledged write is visible, but nothing on disk is created, cut, rewritten or removed
   * (the shared lock is an OS lock on LOCK; an empty LOCK is created only where there is none).
   * Several read-only opens may share a
   * directory, from any processes; none may while a writer has it, nor a writer while any
   * read-only open does (LockError). Writes, flush, compactRange, value-log GC and load throw
   * ReadOnlyError; reads, iterators, snapshots and backup work. Never creates a database.
   * Default false.
   */
  readOnly?: boolean
  /**
   * Default durability of writes: true waits for fdatasync of the WAL before resolving (group commit
   * shares one fsync among concurrent writers). Default false, as in LevelDB: a crash may lose the
   * last writes, never a batch in part and never a prefix with holes.
   */
  sync?: boolean
  /**
   * Bytes of memory the engine's own parts may hold together: the memtable, the frozen memtables
   * waiting for flush, the block cache, and every open table's index and bloom filter (kept in
   * memory for the table's life). Default 128 MiB: a quarter of the smallest box Sett targets (512
   * MiB edge devices). The whole process's peak RSS is more: 157–266 MiB in the 1M × 100 B
   * workloads of `npm run bench` (73 MiB in fillsync; 2026-12-02, built package), of which the
   * budget's parts are ~100 MiB at most; the rest is Node's own ~45 MiB of mapped code, the main
   * thread's V8 heap (its young generation alone grows to 32 MiB under load), the worker's heap and
   * malloc arena, and blocks evicted from the cache that V8 has not collected yet. The memtables
   * get their share first ((1 + maxImmutableMemtables) × memtableSize), index and filter blocks
   * take what they need, and the block cache gets the rest up to blockCacheSize; as the index and
   * filter blocks grow, the block cache shrinks down to a sixteenth of the budget, and then the
   * memtables get smaller (more, smaller flushes): writes slow down rather than go past the budget.
   * stats().memory shows each part. Below 256 MiB (so at the default), flushes share the compaction
   * worker thread (a thread's heap and malloc arena cost ~40 MiB).
   * Not counted: the JavaScript heaps of the program and of the worker threads, malloc's slack,
   * transactions' and change-feed subscribers' buffers (those have bounds of their own), and
   * value-log GC's batch.
   */
  memoryBudget?: number
  /**
   * Bytes of entries a memtable holds before it is frozen and flushed to an L0 table. Default an
   * eighth of memoryBudget, at most 64 MiB (16 MiB at the default budget): up to three arenas of
   * this size may be resident at once (the active one, one frozen or kept for the next memtable,
   * and one let go that V8 has not collected yet), and at a quarter (32 MiB) they were most of
   * the 1M × 100 B workloads' RSS past 200 MiB (issue #14). Larger speeds bulk loads a little;
   * recovery replays up to this much WAL, and a transaction's writes must fit in it. The memory
   * budget may flush memtables earlier.
   */
  memtableSize?: number
  /**
   * Frozen memtables waiting for flush before writers wait. Default 1, as in LevelDB: each holds up
   * to memtableSize bytes of RSS, and a fill of 1M × 100 B measured the same speed with 1 as with 2.
   */
  maxImmutableMemtables?: number
  /** Uncompressed bytes per data block. Default 4 KiB: point reads decompress one block. */
  blockSize?: number
  /** Bloom filter bits per key. Default 10 (~0.8% false positives). */
  bloomBitsPerKey?: number
  /** Data-block compression. Default 'lz4' (~1 GiB/s, so it costs less than the I/O it saves). */
  compression?: 'lz4' | 'none'
  /**
   * Most bytes of decompressed blocks kept in memory. Default a quarter of memoryBudget (32 MiB at
   * the default budget); the budget gives the cache less while memtables and index and filter
   * blocks need it.
   */
  blockCacheSize?: number
  /** Target size of tables in L1 and below. Default 8 MiB. */
  tableTargetSize?: number
  /** L0 table count that triggers an L0 → L1 compaction. Default 4. */
  l0CompactionTrigger?: number
  /** L0 table count at which each write group is delayed by 1 ms. Default 8. */
  l0SlowdownTrigger?: number
  /** L0 table count at which writers wait for compaction. Default 20. */
  l0StopTrigger?: number
  /**
   * Largest target of the base level, the one L0 compacts into. Default 64 MiB. Targets are dynamic:
   * the last level's is the largest level's size, each level above gets 1/levelMultiplier of the one
   * below, and the base is the shallowest level whose target stays above levelBaseBytes /
   * levelMultiplier (compaction/picker.ts), so ~90% of the data sits in the last level.
   */
  levelBaseBytes?: number
  /** Each level's target is this many times the one above. Default 10. */
  levelMultiplier?: number
  /**
   * On corruption found during recovery (other than a torn WAL tail): true refuses to open with a
   * CorruptionError naming file and offset; false stops replaying that WAL there, keeps what came
   * before, and reports it in stats().recovery. Default true.
   */
  paranoid?: boolean
  /**
   * Values of at least this many bytes go to the value log; the LSM keeps a pointer. Default 1 KiB
   * (DESIGN.md; WiscKey's argument: compaction then moves keys, not values).
   */
  valueThreshold?: number
  /** A value-log file is closed and a new one started past this many bytes. Default 1 GiB. */
  valueLogFileSize?: number
  /** ... or this many entries. Default 1,000,000 (BadgerDB's default). */
  valueLogMaxEntries?: number
  /**
   * Automatic value-log GC: once compaction has counted this fraction of a value-log file as
   * garbage, GC runs in the background (as runValueLogGC(ratio)). Default 0 (off: call
   * runValueLogGC yourself, as BadgerDB users do).
   */
  autoValueLogGC?: number
  /**
   * Run flushes and compactions in a worker thread, so writing tables never blocks the event loop
   * (memtables then live in SharedArrayBuffers the worker reads in place). Default: true on the
   * real file system; an in-memory one cannot be shared with a thread, so with `fs` set to
   * anything else they run inline (yielding every 4 ms).
   */
  compactionWorker?: boolean
  /**
   * The clock TTLs are measured by, in ms since the Unix epoch. Default Date.now; tests inject
   * their own to move time. An entry is expired once clock() >= its expiresAt.
   */
  clock?: () => number
  /**
   * Versions of each key compaction keeps (BadgerDB's NumVersionsToKeep). Default 1. Older versions
   * stay readable through iterator({ allVersions: true }) and snapshots; a deletion or an expired
   * entry ends a key's history either way.
   */
  numVersionsToKeep?: number
  /**
   * Serializable transactions track their reads and fail with ConflictError when another commit
   * wrote one of them. Default true; false skips the tracking (last writer wins) for throughput.
   */
  detectConflicts?: boolean
  /** The file system (tests pass a MemFileSystem). Default: node:fs. */
  fs?: FileSystem
  /**
   * Encryption at rest: a 16, 24 or 32-byte master key (AES-128/192/256). Every file but LOCK is
   * then encrypted with AES-CTR under data keys kept in KEYREGISTRY, sealed under this key. An
   * encrypted database opens only with its key. Default null (not encrypted).
   */
  encryptionKey?: Uint8Array | null
  /**
   * Age in ms at which the data key new files use is replaced by a fresh one. Default 10 days
   * (BadgerDB's default): a key encrypts a bounded amount of data, and old files keep their key.
   */
  encryptionKeyRotation?: number
}

export type ResolvedOptions = Required<Options>

/** Keys longer than this are refused: 64 KiB, like BadgerDB's limit, so key lengths fit a u16-sized budget. */
export const MAX_KEY_SIZE = 65536
/** Values longer than this are refused until the value log carries large values: 64 MiB. */
export const MAX_VALUE_SIZE = 64 * 1024 * 1024

const MiB = 1024 * 1024

/** budget / `parts`, at most `max`, in whole KiB (when the budget itself is a number). */
function defaultShare(budget: unknown, parts: number, max: number): number {
  if (typeof budget !== 'number') return max
  return Math.min(max, Math.max(1024, Math.floor(budget / parts / 1024) * 1024))
}

export function resolveOptions(options: Options = {}): ResolvedOptions {
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options must be an object')
  const budget = options.memoryBudget ?? 128 * MiB
  const o: ResolvedOptions = {
    memoryBudget: budget,
    createIfMissing: options.createIfMissing ?? !options.readOnly,
    errorIfExists: options.errorIfExists ?? false,
    readOnly: options.readOnly ?? false,
    sync: options.sync ?? false,
    memtableSize: options.memtableSize ?? defaultShare(budget, 8, 64 * MiB),
    maxImmutableMemtables: options.maxImmutableMemtables ?? 1,
    blockSize: options.blockSize ?? 4096,
    bloomBitsPerKey: options.bloomBitsPerKey ?? 10,
    compression: options.compression ?? 'lz4',
    blockCacheSize: options.blockCacheSize ?? defaultShare(budget, 4, Infinity),
    tableTargetSize: options.tableTargetSize ?? 8 * MiB,
    l0CompactionTrigger: options.l0CompactionTrigger ?? 4,
    l0SlowdownTrigger: options.l0SlowdownTrigger ?? 8,
    l0StopTrigger: options.l0StopTrigger ?? 20,
    levelBaseBytes: options.levelBaseBytes ?? 64 * MiB,
    levelMultiplier: options.levelMultiplier ?? 10,
    paranoid: options.paranoid ?? true,
    valueThreshold: options.valueThreshold ?? 1024,
    valueLogFileSize: options.valueLogFileSize ?? 1024 * MiB,
    valueLogMaxEntries: options.valueLogMaxEntries ?? 1_000_000,
    autoValueLogGC: options.autoValueLogGC ?? 0,
    clock: options.clock ?? Date.now,
    numVersionsToKeep: options.numVersionsToKeep ?? 1,
    detectConflicts: options.detectConflicts ?? true,
    fs: options.fs ?? new RealFileSystem(),
    compactionWorker: options.compactionWorker ?? (options.fs === undefined || options.fs instanceof RealFileSystem),
    encryptionKey: options.encryptionKey == null ? null : checkAesKey(options.encryptionKey, 'options.encryptionKey').slice(),
    encryptionKeyRotation: options.encryptionKeyRotation ?? 10 * 24 * 3600 * 1000,
  }
  checkOptionNames('options', options, new Set(Object.keys(o)))
  if (typeof o.readOnly !== 'boolean') throw new InvalidArgumentError('options.readOnly must be a boolean')
  if (o.readOnly && o.createIfMissing) throw new InvalidArgumentError('options.readOnly cannot create a database (createIfMissing)')
  if (o.compactionWorker && !(o.fs instanceof RealFileSystem)) {
    throw new InvalidArgumentError('options.compactionWorker needs the real file system (options.fs unset)')
  }
  if (typeof o.memoryBudget !== 'number' || !(o.memoryBudget >= MiB) || !Number.isFinite(o.memoryBudget)) {
    throw new InvalidArgumentError(`options.memoryBudget must be a number of bytes >= 1 MiB, got ${String(o.memoryBudget)}`)
  }
  const positive: (keyof ResolvedOptions)[] = [
    'memtableSize', 'maxImmutableMemtables', 'blockSize', 'tableTargetSize', 'l0CompactionTrigger',
    'l0SlowdownTrigger', 'l0StopTrigger', 'levelBaseBytes', 'levelMultiplier', 'valueThreshold',
    'valueLogFileSize', 'valueLogMaxEntries', 'numVersionsToKeep', 'encryptionKeyRotation',
  ]
  for (const k of positive) {
    const v = o[k]
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 1) {
      throw new InvalidArgumentError(`options.${k} must be a positive number, got ${String(v)}`)
    }
  }
  if (typeof o.autoValueLogGC !== 'number' || !(o.autoValueLogGC >= 0 && o.autoValueLogGC < 1)) {
    throw new InvalidArgumentError('options.autoValueLogGC must be 0 (off) or a ratio below 1')
  }
  for (const k of ['bloomBitsPerKey', 'blockCacheSize'] as const) {
    if (typeof o[k] !== 'number' || !(o[k] >= 0)) throw new InvalidArgumentError(`options.${k} must be >= 0`)
  }
  if (o.compression !== 'lz4' && o.compression !== 'none') {
    throw new InvalidArgumentError(`options.compression must be 'lz4' or 'none'`)
  }
  if (!(o.l0CompactionTrigger <= o.l0SlowdownTrigger && o.l0SlowdownTrigger <= o.l0StopTrigger)) {
    throw new InvalidArgumentError('options need l0CompactionTrigger <= l0SlowdownTrigger <= l0StopTrigger')
  }
  if (typeof o.clock !== 'function') throw new InvalidArgumentError('options.clock must be a function returning ms since the epoch')
  if (typeof o.detectConflicts !== 'boolean') throw new InvalidArgumentError('options.detectConflicts must be a boolean')
  if (o.levelMultiplier < 2) throw new InvalidArgumentError('options.levelMultiplier must be >= 2')
  return o
}
