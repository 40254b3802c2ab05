// A compaction task: everything a compaction needs, as plain data that can cross to a worker
// thread, and the one function that runs it against a file system. The engine builds the task;
// it runs inline (in-memory file system, tests) or in the compaction worker (real disk).

import { filePath, tableFileName } from '../base/filenames.js'
import type { FileSystem } from '../base/fs.js'
import type { InternalIterator } from '../base/internal-iterator.js'
import { MergingIterator } from '../base/merging-iterator.js'
import { FileMetadata, LevelIterator, type TableMeta } from '../manifest/index.js'
import { BlockCache, type OpenedTable, TableReader, type TableWriterOptions } from '../sstable/index.js'
import { type CompactionResult, type Retention, runCompactionJob } from './compaction-job.js'
import type { GrandparentTable } from './grandparents.js'

export interface CompactionTask {
  dir: string
  /** The level compacted out of; its tables are `inputs` (L0: newest first). */
  level: number
  inputs: TableMeta[]
  /** Tables of level + 1 under the inputs, in key order. */
  overlapping: TableMeta[]
  /** File numbers the outputs may use, in order; the engine allocates more than enough. */
  fileNumbers: number[]
  table: TableWriterOptions
  targetFileSize: number
  smallestSnapshot: number
  dropTombstones: boolean
  retention?: Retention
  /** Tables of the level below the output under the task's range, in key order (may be empty). */
  grandparents?: GrandparentTable[]
}

/** Output tables a task of `inputBytes` can need at most: a generous bound on the count. */
export function outputNumbersNeeded(inputBytes: number, targetFileSize: number): number {
  return 2 * Math.ceil(inputBytes / targetFileSize) + 4
}

/**
 * Merges the task's tables into the output level's. L0 inputs overlap and each gets its own
 * iterator, newest first, so equal entries keep the newest copy; other levels are one run each.
 * Blocks are transient (sstable/table-iter.ts): the job copies every key and value it keeps
 * before the input moves on, so reading the inputs allocates nothing per block.
 */
export function taskInput(level: number, inputs: readonly FileMetadata[], overlapping: readonly FileMetadata[]): InternalIterator {
  const transient = { transientBlocks: true }
  const children: InternalIterator[] =
    level === 0 ? inputs.map((f) => f.reader!.iterator(transient)) : [new LevelIterator(inputs, transient)]
  children.push(new LevelIterator(overlapping, transient))
  return new MergingIterator(children)
}

/**
 * Runs a task with tables opened here (the worker's case: it shares nothing with the engine).
 * Readers use a small private cache: every block is read once, so caching buys nothing.
 */
export async function runCompactionTask(task: CompactionTask, fs: FileSystem, yieldAfterMs = 0): Promise<CompactionResult> {
  const cache = new BlockCache(1024 * 1024)
  const open = (meta: TableMeta): FileMetadata => {
    const f = new FileMetadata(meta)
    // No filter: a merge never probes one (TableReader.open says what that saves).
    f.reader = TableReader.open(fs, filePath(task.dir, tableFileName(meta.fileNumber)), meta.fileNumber, cache, { filter: false })
    return f
  }
  const inputs = task.inputs.map(open)
  const overlapping = task.overlapping.map(open)
  const input = taskInput(task.level, inputs, overlapping)
  let next = 0
  try {
    return await runCompactionJob(input, {
      fs, dir: task.dir, table: task.table, targetFileSize: task.targetFileSize,
      smallestSnapshot: task.smallestSnapshot, dropTombstones: task.dropTombstones, yieldAfterMs,
      retention: task.retention,
      grandparents: task.grandparents,
      newFileNumber: () => {
        if (next >= task.fileNumbers.length) throw new Error('compaction task ran out of file numbers')
        return task.fileNumbers[next++]
      },
    })
  } finally {
    input.close()
    for (const f of [...inputs, ...overlapping]) f.reader!.close()
  }
}

/**
 * Opens (reading and checking footer, properties, filter and index) each table a task wrote, and
 * keeps what was decoded, so the engine's thread can build its readers without doing it again.
 */
export function openOutputs(result: CompactionResult, dir: string, fs: FileSystem): OpenedTable[] {
  const cache = new BlockCache(0)
  return result.tables.map((t) => {
    const reader = TableReader.open(fs, filePath(dir, tableFileName(t.fileNumber)), t.fileNumber, cache)
    try {
      return reader.exportOpened()
    } finally {
      reader.close()
    }
  })
}
