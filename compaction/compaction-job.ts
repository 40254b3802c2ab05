// The compaction job: merge sorted input entries, drop what no reader can see, and write new
// tables of a target size. It is a plain function of its inputs (used for flushes as well), so it
// can run inline or, later, in a worker.
//
// Dropping rules, for entries of one user key met newest first:
// - an entry is hidden when a newer entry of the same key has seq <= smallestSnapshot: every
//   reader sees that newer one instead, so the older can go;
// - of two entries with the same key and seq (value-log GC relocated one), the second is dropped;
// - a tombstone with seq <= smallestSnapshot is dropped when the output is bottommost (no deeper
//   level holds the key), since there is nothing left for it to hide.
// Every dropped value pointer adds its entry's bytes to that value-log file's discard count, which
// is what value-log GC chooses files by.
// Output tables are cut only between user keys, so a key's versions never span two tables and
// the manifest can describe a table by user-key bounds alone; they are cut at the target size,
// or earlier when they would overlap too much of the level below the output (grandparents.ts).

import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import { filePath, tableFileName } from '../base/filenames.js'
import type { FileSystem } from '../base/fs.js'
import { Kind, MAX_SEQ, bytesEqual } from '../base/internal-key.js'
import type { InternalIterator } from '../base/internal-iterator.js'
import type { TableMeta } from '../manifest/index.js'
import { GRANDPARENT_OVERLAP_FACTOR, GrandparentLimiter, type GrandparentTable } from './grandparents.js'
import { type OpenedTable, TableBuilder, type TableWriterOptions } from '../sstable/index.js'
import { decodePointer } from '../vlog/index.js'

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
  /** Tables of the level below the output, in key order, for cutting outputs at their overlap. */
  grandparents?: readonly GrandparentTable[]
}

export interface CompactionResult {
  tables: TableMeta[]
  entriesIn: number
  entriesDropped: number
  bytesWritten: number
  /** Value-log file number → bytes of entries whose last pointer this job dropped. */
  valueLogDiscards: Map<number, number>
  /** From the worker: each output table opened and checked there, for TableReader.fromOpened(). */
  opened?: OpenedTable[]
}

export async function runCompactionJob(input: InternalIterator, options: CompactionJobOptions): Promise<CompactionResult> {
  const { fs, dir, smallestSnapshot } = options
  const tables: TableMeta[] = []
  const result: CompactionResult = { tables, entriesIn: 0, entriesDropped: 0, bytesWritten: 0, valueLogDiscards: new Map() }
  let builder: TableBuilder | undefined
  let file: ReturnType<FileSystem['create']> | undefined
  let fileNumber = 0
  let currentKey: Uint8Array | undefined
  let newerSeq = MAX_SEQ + 1

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
    const newKey = currentKey === undefined || !bytesEqual(key, currentKey)
    if (newKey) {
      newerSeq = MAX_SEQ + 1
      // Between user keys is the only place a table may end.
      const overlapCut = limiter?.shouldCutBefore(key) ?? false
      if (builder && builder.estimatedSize >= options.targetFileSize) {
        limiter?.reset()
        await finishTable()
      } else if (builder && overlapCut) {
        await finishTable()
      }
      currentKey = key.slice()
    }
    // A second entry with the same key and seq is an older copy of one that value-log GC moved
    // (the copy met first is the newer): always garbage, whatever the snapshots.
    const hidden = newerSeq <= smallestSnapshot || newerSeq === seq
    const deadTombstone = kind === Kind.Delete && seq <= smallestSnapshot && options.dropTombstones
    newerSeq = seq
    if (hidden || deadTombstone) {
      result.entriesDropped++
      if (kind === Kind.ValuePointer) {
        const p = decodePointer(input.value())
        result.valueLogDiscards.set(p.fileNumber, (result.valueLogDiscards.get(p.fileNumber) ?? 0) + p.length)
      }
      continue
    }
    if (!builder) {
      fileNumber = options.newFileNumber()
      file = fs.create(filePath(dir, tableFileName(fileNumber)))
      builder = new TableBuilder(file, options.table)
    }
    builder.add(key, seq, kind, input.value())
  }
  await finishTable()
  // New names become durable before any manifest edit refers to them.
  if (tables.length > 0) await fs.syncDir(dir)
  return result
}
