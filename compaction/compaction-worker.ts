// The compaction worker: a worker_threads entry that runs compaction and flush tasks on the real
// file system, one at a time, and answers each with its result or a description of its error.
// It imports compaction/ and base/ only, never engine/.

import { setPriority } from 'node:os'
import { parentPort } from 'node:worker_threads'
import { EncryptedFileSystem } from '../base/encrypted-fs.js'
import { KeyRegistry } from '../base/key-registry.js'
import { RealFileSystem } from '../base/real-fs.js'
import type { CompactionResult } from './compaction-job.js'
import { openOutputs, runCompactionTask } from './compaction-task.js'
import { runFlushTask } from './flush-task.js'
import { describeError } from './worker-errors.js'
import type { WorkerMemory, WorkerReply, WorkerRequest } from './worker-errors.js'

const fs = new RealFileSystem()

// Background work yields the CPU to the thread that runs the embedding program's event loop. On a
// busy 2-core machine the event-loop stalls measured during a fill were the main thread waiting in
// the run queue (/proc schedstat), not running; a niced worker stops adding to that wait. On Linux
// setPriority(0, …) applies to the calling thread only.
const WORKER_NICE = 10

try {
  setPriority(0, WORKER_NICE)
} catch {
  // Not allowed or not supported here: run at the process's priority.
}

/**
 * How long a compaction runs before it lets the worker's event loop turn. One worker may serve
 * flushes as well as compactions (engine/rooms.ts): a flush that arrives mid-compaction then runs
 * at the next turn, interleaved, rather than after the whole compaction (seconds), while writes
 * wait for it. A flush itself runs to its end (its syncs aside) once started.
 */
const COMPACTION_YIELD_MS = 5

async function serve(request: WorkerRequest): Promise<CompactionResult | undefined> {
  // Unlinking a 64 MiB file frees its cached pages: ~20 ms that would otherwise hold the event loop.
  if (request.type === 'remove') {
    fs.remove(request.path)
    return undefined
  }
  // An encrypted database's tasks read and write through the encrypting layer, with the keys sent.
  const taskFs = request.dataKeys === undefined ? fs : new EncryptedFileSystem(fs, new KeyRegistry(request.dataKeys))
  const result = request.type === 'flush' ? await runFlushTask(request.task, taskFs) : await runCompactionTask(request.task, taskFs, COMPACTION_YIELD_MS)
  result.opened = openOutputs(result, request.task.dir, taskFs)
  return result
}

/**
 * This thread's isolate: process.memoryUsage() in a worker counts its own heap (rss is the
 * process's), and external memory leaves out SharedArrayBuffers, so a memtable arena it flushes
 * is not counted twice (stats().memory counts its written pages).
 */
function memory(): WorkerMemory {
  const u = process.memoryUsage()
  return { heapTotal: u.heapTotal, external: u.external }
}

/**
 * Sends a result, its opened tables one message each first. One message of every output's index
 * and filter (measured up to 4 MiB) is one malloc'd block, freed on the engine's thread once read,
 * and glibc raises its mmap and trim thresholds to the size of any such block freed
 * (engine/memory-budget.ts, GLIBC_THRESHOLDS): malloc's heaps then stay resident. A table's own
 * message is a few hundred KiB at the default table size.
 */
function reply(id: number, result: CompactionResult | undefined): void {
  const opened = result?.opened
  if (result && opened) {
    for (const part of opened) parentPort!.postMessage({ id, part } satisfies WorkerReply)
    result.opened = undefined
  }
  parentPort!.postMessage({ id, ok: true, result, memory: memory() } satisfies WorkerReply)
}

parentPort!.on('message', (request: WorkerRequest) => {
  serve(request).then(
    (result) => reply(request.id, result),
    (err: unknown) => parentPort!.postMessage({ id: request.id, ok: false, error: describeError(err), memory: memory() } satisfies WorkerReply),
  )
})
