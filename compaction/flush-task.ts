// A flush task: a frozen memtable to write as one L0 table (and its inline large values, which
// synced writes keep there, as one whole value-log file), as plain data that can cross to the
// worker thread, and the one function that runs it. Inline and in the worker, the same code walks
// the same skiplist bytes, so both write the same table; in the worker the memtable's arena is a
// SharedArrayBuffer read in place, never copied.
//
// Lifetime: the engine must not add to the memtable after freezing it (it never does: a frozen
// memtable only serves reads until its table is in the manifest), and keeps it referenced until
// the task resolves.

import type { FileSystem } from '../base/fs.js'
import { Memtable, type FrozenMemtable } from '../memtable/index.js'
import type { TableWriterOptions } from '../sstable/index.js'
import { type CompactionResult, type Retention, runCompactionJob } from './compaction-job.js'

export interface FlushTask {
  dir: string
  memtable: FrozenMemtable
  /** The number of the L0 table; a flush writes at most one. */
  fileNumber: number
  table: TableWriterOptions
  smallestSnapshot: number
  retention?: Retention
  /**
   * Where the memtable's inline values of at least `threshold` bytes go (a synced write keeps its
   * large values in the WAL record and the memtable): whole value-log file `fileNumber`, written
   * only if the memtable holds such a value. Undefined: every value stays as the memtable has it.
   */
  wholeValueLog?: { fileNumber: number; threshold: number }
}

/**
 * Writes the memtable as one L0 table (none when it is empty), synced, its name synced too, and
 * its large inline values to one whole value-log file before it (task.wholeValueLog).
 * Versions no snapshot can see are dropped; tombstones are kept (deeper levels may hold the key).
 */
export async function runFlushTask(task: FlushTask, fs: FileSystem, yieldAfterMs = 0): Promise<CompactionResult> {
  const input = Memtable.open(task.memtable).iterator()
  let taken = false
  try {
    return await runCompactionJob(input, {
      fs, dir: task.dir, table: task.table, targetFileSize: Infinity,
      smallestSnapshot: task.smallestSnapshot, dropTombstones: false, yieldAfterMs, retention: task.retention,
      wholeValueLog: task.wholeValueLog,
      newFileNumber: () => {
        if (taken) throw new Error('flush task: a flush writes one table')
        taken = true
        return task.fileNumber
      },
    })
  } finally {
    input.close()
  }
}
