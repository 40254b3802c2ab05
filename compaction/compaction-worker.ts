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
import type { WorkerReply, WorkerRequest } from './worker-errors.js'

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

parentPort!.on('message', (request: WorkerRequest) => {
  serve(request).then(
    (result) => parentPort!.postMessage({ id: request.id, ok: true, result } satisfies WorkerReply),
    (err: unknown) => parentPort!.postMessage({ id: request.id, ok: false, error: describeError(err) } satisfies WorkerReply),
  )
})
