// The compaction worker: a worker_threads entry that runs compaction tasks on the real file
// system, one at a time, and answers each with its result or a description of its error.
// It imports compaction/ and base/ only, never engine/.

import { parentPort } from 'node:worker_threads'
import { EncryptedFileSystem } from '../base/encrypted-fs.js'
import { KeyRegistry } from '../base/key-registry.js'
import { RealFileSystem } from '../base/real-fs.js'
import { runCompactionTask } from './compaction-task.js'
import { describeError } from './worker-errors.js'
import type { WorkerReply, WorkerRequest } from './worker-errors.js'

const fs = new RealFileSystem()

parentPort!.on('message', (request: WorkerRequest) => {
  const taskFs = request.dataKeys === undefined ? fs : new EncryptedFileSystem(fs, new KeyRegistry(request.dataKeys))
  runCompactionTask(request.task, taskFs).then(
    (result) => parentPort!.postMessage({ id: request.id, ok: true, result } satisfies WorkerReply),
    (err: unknown) => parentPort!.postMessage({ id: request.id, ok: false, error: describeError(err) } satisfies WorkerReply),
  )
})
