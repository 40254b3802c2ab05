// The compaction worker: a worker_threads entry that runs compaction and flush tasks on the real
// file system, one at a time, and answers each with its result or a description of its error.
// It imports compaction/ and base/ only, never engine/.

import { parentPort } from 'node:worker_threads'
import { RealFileSystem } from '../base/real-fs.js'
import { runCompactionTask } from './compaction-task.js'
import { runFlushTask } from './flush-task.js'
import { describeError } from './worker-errors.js'
import type { WorkerReply, WorkerRequest } from './worker-errors.js'

const fs = new RealFileSystem()

parentPort!.on('message', (request: WorkerRequest) => {
  const job = request.type === 'flush' ? runFlushTask(request.task, fs) : runCompactionTask(request.task, fs)
  job.then(
    (result) => parentPort!.postMessage({ id: request.id, ok: true, result } satisfies WorkerReply),
    (err: unknown) => parentPort!.postMessage({ id: request.id, ok: false, error: describeError(err) } satisfies WorkerReply),
  )
})
