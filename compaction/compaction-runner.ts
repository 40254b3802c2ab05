// CompactionRunner: runs compaction and flush tasks inline or in a worker thread, behind one
// interface.
//
// The worker keeps the event loop of the embedding program free while tables are merged and
// written. It works only on the real file system (an in-memory one cannot be shared across
// threads), so tests on MemFileSystem run tasks inline. One worker, one task at a time: the
// engine's background loop runs flushes and compactions one after another. A flush reaches the
// worker without a copy when the memtable's arena is shared; one that is not (recovery builds
// plain memtables) runs inline here instead.
//
// The worker is started by the first task and stopped once it has had nothing to do for
// WORKER_IDLE_MS: an idle worker still holds its V8 heap, its malloc arena and every buffer it
// has seen, ~20 MiB resident after a fill and ~50 MiB after compactions (issue #14), through
// every read-only stretch. It is only ever stopped with no task or removal in flight, so nothing
// is lost; the next task starts a fresh one (~50 ms of the worker's own start-up, off the event
// loop).

import { Worker } from 'node:worker_threads'
import type { FileSystem } from '../base/fs.js'
import type { DataKey } from '../base/key-registry.js'
import type { CompactionResult } from './compaction-job.js'
import { type CompactionTask, runCompactionTask } from './compaction-task.js'
import { type FlushTask, runFlushTask } from './flush-task.js'
import type { OpenedTable } from '../sstable/index.js'
import { type WorkerMemory, type WorkerReply, type WorkerRequest, rebuildError } from './worker-errors.js'

export interface CompactionRunner {
  readonly inWorker: boolean
  /**
   * What the running worker's V8 heap and external memory held after its last task (0 inline or
   * with no worker running): the part of a worker's cost that is visible from JavaScript. Its
   * malloc arena and its share of Node's threads are not in it.
   */
  readonly workerHeapBytes: number
  run(task: CompactionTask): Promise<CompactionResult>
  flush(task: FlushTask): Promise<CompactionResult>
  /**
   * Removes a file that nothing refers to any more (a flushed WAL, an obsolete table). In the
   * worker it happens later, off the event loop; a removal lost to a crash or an error leaves a
   * leftover that the next open removes.
   */
  remove(path: string): void
  /** Resolves once every removal asked for so far is done. */
  removed(): Promise<void>
  /** Waits for removals in flight, then stops the worker. */
  close(): Promise<void>
}

/** How long an inline task runs before it lets the event loop turn, so reads and writes get turns. */
const INLINE_YIELD_MS = 4

export class InlineCompactionRunner implements CompactionRunner {
  readonly inWorker = false
  readonly workerHeapBytes = 0
  private readonly fs: FileSystem

  constructor(fs: FileSystem) {
    this.fs = fs
  }

  run(task: CompactionTask): Promise<CompactionResult> {
    return runCompactionTask(task, this.fs, INLINE_YIELD_MS)
  }

  flush(task: FlushTask): Promise<CompactionResult> {
    return runFlushTask(task, this.fs, INLINE_YIELD_MS)
  }

  /** At once, errors thrown: the crash tests see every file operation in its place. */
  remove(path: string): void {
    this.fs.remove(path)
  }

  async removed(): Promise<void> {}

  async close(): Promise<void> {}
}

/**
 * The worker's entry: the compiled sibling .js when this module is compiled, or a bootstrap that
 * registers tsx when it runs from TypeScript sources (TOOLCHAIN.md: `new Worker('x.ts')` fails).
 */
export function workerEntry(moduleUrl: string = import.meta.url): URL {
  return moduleUrl.endsWith('.ts')
    ? new URL('./worker-bootstrap.mjs', moduleUrl)
    : new URL('./compaction-worker.js', moduleUrl)
}

/**
 * The worker's young generation, in MiB. V8's default lets it grow to 32 MiB or more per thread,
 * and a task's garbage (blocks, keys, output buffers) is short-lived, so a small one costs little
 * collection time: a 1M × 100 B fill and overwrite measured the same speed at 8 as at the default,
 * with the two workers' heaps ~70 MiB → ~40 MiB of resident memory (engine/memory-budget.ts).
 */
const WORKER_YOUNG_GENERATION_MB = 8

/**
 * How long the worker waits for its next task before it is stopped (see the top of this file).
 * Long enough that a fill's flushes and compactions, which follow each other within
 * milliseconds, keep one worker; short enough that a read-only stretch gives its memory back.
 */
export const WORKER_IDLE_MS = 1000

export class WorkerCompactionRunner implements CompactionRunner {
  readonly inWorker = true
  /** For flushes of memtables whose arena is not shared: the real file system, run inline. */
  private readonly fs: FileSystem
  private worker: Worker | undefined
  private nextId = 1
  /** Tasks sent and not answered yet, with the opened tables their answer has sent so far. */
  private readonly pending = new Map<number, {
    resolve: (r: CompactionResult | undefined) => void
    reject: (e: unknown) => void
    opened: OpenedTable[]
  }>()
  private readonly removals = new Set<Promise<unknown>>()
  /** An encrypted database's data keys, sent with each task (the worker has no registry of its own). */
  private readonly dataKeys: (() => readonly DataKey[]) | undefined

  private readonly idleMs: number
  private idleTimer: ReturnType<typeof setTimeout> | undefined
  /** Workers stopped while idle that have not exited yet (close() waits for them). */
  private readonly stopping = new Set<Promise<unknown>>()
  /** Workers started so far (tests: a restart after an idle stop). */
  started = 0

  constructor(fs: FileSystem, dataKeys?: () => readonly DataKey[], idleMs: number = WORKER_IDLE_MS) {
    this.fs = fs
    this.dataKeys = dataKeys
    this.idleMs = idleMs
  }

  /** The running worker's last report (see CompactionRunner.workerHeapBytes). */
  private lastMemory: WorkerMemory | undefined

  /** Whether a worker thread is running now (stats().memory). */
  get running(): boolean {
    return this.worker !== undefined
  }

  get workerHeapBytes(): number {
    const m = this.worker === undefined ? undefined : this.lastMemory
    return m === undefined ? 0 : m.heapTotal + m.external
  }

  private start(): Worker {
    if (this.idleTimer !== undefined) {
      clearTimeout(this.idleTimer)
      this.idleTimer = undefined
    }
    if (this.worker) return this.worker
    const worker = new Worker(workerEntry(), { resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } })
    this.started++
    worker.on('message', (reply: WorkerReply) => {
      if ('part' in reply) {
        const p = this.pending.get(reply.id)
        if (p) p.opened.push(reply.part)
        return
      }
      if (this.worker === worker) this.lastMemory = reply.memory
      const p = this.pending.get(reply.id)
      if (!p) return
      this.pending.delete(reply.id)
      if (this.pending.size === 0) {
        worker.unref()
        this.stopWhenIdle()
      }
      if (reply.ok) {
        if (reply.result && p.opened.length > 0) reply.result.opened = p.opened
        p.resolve(reply.result)
      } else {
        p.reject(rebuildError(reply.error))
      }
    })
    const fail = (err: unknown) => {
      // A worker stopped while idle had nothing pending; the pending tasks are a newer one's.
      if (this.worker !== worker) return
      for (const p of this.pending.values()) p.reject(err)
      this.pending.clear()
      this.worker = undefined
    }
    worker.on('error', fail)
    worker.on('exit', (code) => fail(new Error(`compaction worker exited with code ${code}`)))
    worker.unref()
    this.worker = worker
    return worker
  }

  run(task: CompactionTask): Promise<CompactionResult> {
    return this.send({ id: this.nextId++, type: 'compaction', task, dataKeys: this.dataKeys?.() })
  }

  flush(task: FlushTask): Promise<CompactionResult> {
    if (!(task.memtable.buffer instanceof SharedArrayBuffer)) return runFlushTask(task, this.fs, INLINE_YIELD_MS)
    return this.send({ id: this.nextId++, type: 'flush', task, dataKeys: this.dataKeys?.() })
  }

  remove(path: string): void {
    const done: Promise<unknown> = this.send({ id: this.nextId++, type: 'remove', path })
      .catch(() => undefined)
      .finally(() => this.removals.delete(done))
    this.removals.add(done)
  }

  private send(request: WorkerRequest & { type: 'remove' }): Promise<undefined>
  private send(request: WorkerRequest): Promise<CompactionResult>
  private send(request: WorkerRequest): Promise<CompactionResult | undefined> {
    const worker = this.start()
    return new Promise((resolve, reject) => {
      this.pending.set(request.id, { resolve, reject, opened: [] })
      // Keep the process alive while a task is in flight; idle, the worker must not hold it open.
      worker.ref()
      worker.postMessage(request)
    })
  }

  async removed(): Promise<void> {
    while (this.removals.size > 0) await Promise.all(this.removals)
  }

  /** Arms the idle timer: the worker is stopped if no task arrives before it fires. */
  private stopWhenIdle(): void {
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer)
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined
      if (this.pending.size > 0 || !this.worker) return
      const w = this.worker
      this.worker = undefined
      this.lastMemory = undefined
      const exited: Promise<unknown> = w.terminate().catch(() => undefined).finally(() => this.stopping.delete(exited))
      this.stopping.add(exited)
    }, this.idleMs)
    // An idle timer must not keep the embedding program alive any more than the idle worker did.
    this.idleTimer.unref()
  }

  async close(): Promise<void> {
    await this.removed()
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer)
    this.idleTimer = undefined
    const w = this.worker
    this.worker = undefined
    if (w) await w.terminate()
    await Promise.all(this.stopping)
  }
}
