// What crosses between the engine and the compaction worker (compactions and flushes): requests, replies, and errors as
// plain data. Error classes do not survive postMessage, so a CorruptionError or IOError is
// described on one side and rebuilt on the other with its code, file and offset.

import { CorruptionError, IOError, SettError } from '../base/errors.js'
import type { DataKey } from '../base/key-registry.js'
import type { CompactionResult } from './compaction-job.js'
import type { CompactionTask } from './compaction-task.js'
import type { FlushTask } from './flush-task.js'
import type { OpenedTable } from '../sstable/index.js'

/** For an encrypted database, every data key (the newest is the one new tables use) comes with each task. */
export type WorkerRequest =
  | { id: number; type: 'compaction'; task: CompactionTask; dataKeys?: readonly DataKey[] }
  | { id: number; type: 'flush'; task: FlushTask; dataKeys?: readonly DataKey[] }
  | { id: number; type: 'remove'; path: string }

export interface ErrorDescription {
  name: string
  message: string
  code?: string
  file?: string
  offset?: number
}

/** What the worker's own V8 heap and external memory (ArrayBuffers included) held after a request, in bytes. */
export interface WorkerMemory {
  heapTotal: number
  external: number
}

/**
 * A task's answer. A result's opened tables come first, one message each (`part`), then the
 * result without them: compaction/compaction-worker.ts says why.
 */
export type WorkerReply =
  | { id: number; part: OpenedTable }
  | { id: number; ok: true; result?: CompactionResult; memory: WorkerMemory }
  | { id: number; ok: false; error: ErrorDescription; memory: WorkerMemory }

export function describeError(err: unknown): ErrorDescription {
  if (err instanceof CorruptionError) return { name: err.name, message: err.message, code: err.code, file: err.file, offset: err.offset }
  if (err instanceof SettError) return { name: err.name, message: err.message, code: err.code }
  if (err instanceof Error) return { name: err.name, message: err.message, code: (err as { code?: string }).code }
  return { name: 'Error', message: String(err) }
}

export function rebuildError(d: ErrorDescription): Error {
  if (d.code === 'SETT_CORRUPTION' && d.file !== undefined) {
    const e = new CorruptionError(d.file, d.offset ?? 0, '')
    e.message = d.message
    return e
  }
  if (d.code === 'SETT_IO') return new IOError(`compaction worker: ${d.message}`)
  const e = new Error(`compaction worker: ${d.message}`)
  e.name = d.name
  return e
}
