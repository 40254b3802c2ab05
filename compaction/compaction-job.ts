// The compaction job: merge sorted input entries, drop what no reader can see, and write new
// tables of a target size. It is a plain function of its inputs (used for flushes as well), so it
// can run inline or, later, in a worker.
//
// Dropping rules, for entries of one user key met newest first:
// - an entry is hidden when a newer entry of the same key has seq <= smallestSnapshot: every
//   reader sees that newer one instead, so the older can go;
// - of two entries with the same key and seq (value-log GC relocated one), the second is dropped;
// - a tombstone with seq <= smallestSnapshot is dropped when the output is bottommost (no deeper
//   level holds the key), since there is nothing left for it to hide; so is an entry that has
//   expired (its TTL passed at `retention.now`), which every read already treats as deleted;
// - with versionsToKeep = n, the n newest versions every reader may see are kept rather than one,
//   but never a version older than a tombstone or expired entry that every reader sees;
// - an entry a dropPrefix()/dropAll() covers is dropped whatever the snapshots: reads hide it.
// Every dropped value pointer adds its entry's bytes to that value-log file's discard count, which
// is what value-log GC chooses files by.
// Output tables are cut only between user keys, so a key's versions never span two tables and
// the manifest can describe a table by user-key bounds alone; they are cut at the target size,
// or earlier when they would overlap too much of the level below the output (grandparents.ts).
// A flush may also separate values: with `wholeValueLog`, each kept value of at least its
// threshold (a large value a synced write kept inline) goes to one new whole value-log file
// (version 3), which is synced before the tables, and the table holds a pointer to it instead.

import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import { filePath, tableFileName, vlogFileName } from '../base/filenames.js'
import type { FileSystem } from '../base/fs.js'
import { type DroppedPrefix, isDropped } from '../base/dropped-prefixes.js'
import { entryPayload, isDeadEntry, isPointerKind, replacePayload } from '../base/entry-value.js'
import { Kind, MAX_SEQ, bytesEqualTo } from '../base/internal-key.js'
import type { InternalIterator } from '../base/internal-iterator.js'
import type { TableMeta } from '../manifest/index.js'
import { GRANDPARENT_OVERLAP_FACTOR, GrandparentLimiter, type GrandparentTable } from './grandparents.js'
import { type OpenedTable, TableBuilder, type TableWriterOptions } from '../sstable/index.js'
import { WholeFileWriter, decodePointer, encodePointer } from '../vlog/index.js'

export interface CompactionJobOptions {
  fs: FileSystem
  dir: string
  /** Allocates the number of each output table. */
  newFileNumber: () => number
  table: TableWriterOptions
  /** Cut an output table once it reaches this many bytes (Infinity: one table). */
  targetFileSize: number
  /** The oldest sequence number any reader may still read at. */
  smallestSnapshot: number
  /** Drop tombstones no reader can need (the output is the bottommost data for its range). */
  dropTombstones: boolean
  /** Yield to the event loop once this many milliseconds have passed (0: never), for inline jobs. */
  yieldAfterMs?: number
  /** TTL, version and drop rules; the defaults keep one version and drop nothing else. */
  retention?: Retention
  /** Tables of the level below the output, in key order, for cutting outputs at their overlap. */
  grandparents?: readonly GrandparentTable[]
  /**
   * Separate kept values of at least `threshold` bytes (payload) into whole value-log file
   * `fileNumber`, created only if one is met (flushes of memtables that may hold inline values).
   */
  wholeValueLog?: { fileNumber: number; threshold: number }
}

/** The engine's rules for what outlives a compaction, as plain data a worker can receive. */
export interface Retention {
  /** The clock reading (ms since the epoch) that decides which entries have expired. */
  now: number
  /** Versions of a key kept below the oldest snapshot (at least 1). */
  versionsToKeep: number
  droppedPrefixes: DroppedPrefix[]
}

const DEFAULT_RETENTION: Retention = { now: 0, versionsToKeep: 1, droppedPrefixes: [] }

export interface CompactionResult {
  tables: TableMeta[]
  entriesIn: number
  entriesDropped: number
  bytesWritten: number
  /** Value-log file number → bytes of entries whose last pointer this job dropped. */
  valueLogDiscards: Map<number, number>
  /** The highest seq of a tombstone dropped as dead (0: none); the manifest keeps the maximum. */
  tombstoneHorizon: number
  /**
   * The highest seq of a version dropped because a newer one of its key (or a deletion) settles
   * it, duplicates and dropPrefix-covered entries aside (0: none): the change feed can replay
   * every change only from there on (engine/change-feed.ts). The manifest keeps the maximum.
   */
  mergeHorizon: number
  /** The whole value-log file written (wholeValueLog), synced and named durably; undefined if none. */
  wholeValueLog?: { fileNumber: number; size: number; entries: number }
  /** From the worker: each output table opened and checked there, for TableReader.fromOpened(). */
  opened?: OpenedTable[]
}

export async function runCompactionJob(input: InternalIterator, options: CompactionJobOptions): Promise<CompactionResult> {
  const { fs, dir, smallestSnapshot } = options
  const tables: TableMeta[] = []
  const result: CompactionResult = { tables, entriesIn: 0, entriesDropped: 0, bytesWritten: 0, valueLogDiscards: new Map(), tombstoneHorizon: 0, mergeHorizon: 0 }
  let builder: TableBuilder | undefined
  let file: ReturnType<FileSystem['create']> | undefined
  let fileNumber = 0
  // The current user key, copied into one buffer that is reused (not a slice per key); -1: none yet.
  let currentKey = new Uint8Array(64)
  let currentKeyLength = -1
  let newerSeq = MAX_SEQ + 1
  // Of the current key: versions kept that every reader may see, and whether one of those was dead.
  let keptSettled = 0
  let deadSettled = false
  const retention = options.retention ?? DEFAULT_RETENTION
  const { now, droppedPrefixes } = retention
  const versionsToKeep = Math.max(1, retention.versionsToKeep)
  const separate = options.wholeValueLog
  let values: WholeFileWriter | undefined

  const finishTable = async (): Promise<void> => {
    if (!builder || !file) return
    const props = builder.finish()
    await file.sync()
    await file.close()
    tables.push({
      fileNumber,
      size: props.fileSize,
      smallestKey: props.smallestKey,
      largestKey: props.largestKey,
      minSeq: props.minSeq,
      maxSeq: props.maxSeq,
      entryCount: props.entryCount,
    })
    result.bytesWritten += props.fileSize
    builder = undefined
    file = undefined
  }

  const limiter = options.grandparents && options.grandparents.length > 0 && Number.isFinite(options.targetFileSize)
    ? new GrandparentLimiter(options.grandparents, GRANDPARENT_OVERLAP_FACTOR * options.targetFileSize)
    : undefined
  const yieldAfterMs = options.yieldAfterMs ?? 0
  let lastYield = performance.now()
  try {
    for (input.first(); input.valid(); input.next()) {
      result.entriesIn++
      // The clock is read every 256 entries: cheap, and 256 entries take well under a millisecond.
      if (yieldAfterMs > 0 && (result.entriesIn & 255) === 0 && performance.now() - lastYield >= yieldAfterMs) {
        await yieldToEventLoop()
        lastYield = performance.now()
      }
      const key = input.userKey()
      const seq = input.seq()
      const kind = input.kind()
      const newKey = currentKeyLength < 0 || !bytesEqualTo(key, currentKey, currentKeyLength)
      if (newKey) {
        newerSeq = MAX_SEQ + 1
        keptSettled = 0
        deadSettled = false
        // Between user keys is the only place a table may end.
        const overlapCut = limiter?.shouldCutBefore(key) ?? false
        if (builder && builder.estimatedSize >= options.targetFileSize) {
          limiter?.reset()
          await finishTable()
        } else if (builder && overlapCut) {
          await finishTable()
        }
        if (currentKey.length < key.length) currentKey = new Uint8Array(key.length * 2)
        currentKey.set(key)
        currentKeyLength = key.length
      }
      // A second entry with the same key and seq is an older copy of one that value-log GC moved
      // (the copy met first is the newer): always garbage, whatever the snapshots.
      const duplicate = newerSeq === seq
      newerSeq = seq
      const settled = seq <= smallestSnapshot
      // Read once: each read of the value may be a new view.
      const value = input.value()
      const dead = isDeadEntry(kind, value, now)
      let drop = duplicate || (settled && (deadSettled || keptSettled >= versionsToKeep))
      if (!drop && settled) {
        keptSettled++
        if (dead) {
          deadSettled = true
          drop = options.dropTombstones
          // Dropping the newest visible version when it is a deletion (or has expired) erases the
          // deletion itself, which an incremental backup could then no longer see
          // (engine/backup.ts): the highest such seq is the tombstone horizon.
          if (drop && seq > result.tombstoneHorizon) result.tombstoneHorizon = seq
        }
      }
      // Merging a key's history loses the change this version was: a feed from before it can give
      // only the key's newest state.
      if (drop && !duplicate && seq > result.mergeHorizon) result.mergeHorizon = seq
      if (!drop && droppedPrefixes.length > 0) drop = isDropped(droppedPrefixes, key, seq)
      if (drop) {
        result.entriesDropped++
        if (isPointerKind(kind)) {
          const p = decodePointer(entryPayload(kind, value))
          result.valueLogDiscards.set(p.fileNumber, (result.valueLogDiscards.get(p.fileNumber) ?? 0) + p.length)
        }
        continue
      }
      if (!builder) {
        fileNumber = options.newFileNumber()
        file = fs.create(filePath(dir, tableFileName(fileNumber)))
        builder = new TableBuilder(file, options.table)
      }
      let storedKind = kind
      let stored = value
      if (separate !== undefined && (kind === Kind.Value || kind === Kind.ValueWithHeader) && stored.length >= separate.threshold) {
        const payload = entryPayload(kind, stored)
        if (payload.length >= separate.threshold) {
          values ??= new WholeFileWriter(fs, filePath(dir, vlogFileName(separate.fileNumber)), separate.fileNumber)
          const pointer = encodePointer(values.add(key, seq, payload))
          if (kind === Kind.ValueWithHeader) {
            storedKind = Kind.ValuePointerWithHeader
            stored = replacePayload(kind, stored, pointer)
          } else {
            storedKind = Kind.ValuePointer
            stored = pointer
          }
        }
      }
      builder.add(key, seq, storedKind, stored)
    }
  } catch (err) {
    // The caller removes what was written; the open file is closed here (a worker's would leak).
    await values?.abandon().catch(() => undefined)
    throw err
  }
  if (values !== undefined) {
    // Synced before the table that points into it (both before the edit that makes them live).
    const size = await values.finish().catch(async (err: unknown) => {
      await values!.abandon().catch(() => undefined)
      throw err
    })
    result.wholeValueLog = { fileNumber: values.fileNumber, size, entries: values.entries }
    result.bytesWritten += size
  }
  await finishTable()
  // New names become durable before any manifest edit refers to them.
  if (tables.length > 0 || values !== undefined) await fs.syncDir(dir)
  return result
}
