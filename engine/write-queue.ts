// The writer queue: group commit. Callers enqueue batches; whoever finds the queue idle becomes the
// leader and commits every batch waiting at that moment as one group (one WAL append, at most one
// fsync), then the next group, until the queue is empty. While a group's fsync is in flight new
// batches gather behind it, which is what lets many synced writers share one fsync.

import { setImmediate as nextTurn } from 'node:timers/promises'
import { BatchOps } from './write-batch.js'

const NO_OPS = new BatchOps()
const NOTHING = (): void => {}
const RESOLVED: Promise<void> = Promise.resolve()

export interface PendingWrite {
  ops: BatchOps
  /** Set for a step that must run alone between groups (e.g. freezing the memtable). */
  exclusive?: () => Promise<void>
  sync: boolean
  resolve: () => void
  reject: (err: unknown) => void
}

/**
 * Commits one group; throwing or rejecting fails every write in it. Returns undefined when it
 * committed synchronously (nothing to await: one microtask fewer on a writer's path).
 */
export type CommitGroup = (group: PendingWrite[]) => Promise<void> | undefined

export class WriteQueue {
  private pending: PendingWrite[] = []
  /** The drain in progress, once it has had to wait (idle() awaits it). */
  private running: Promise<void> | undefined
  /** Whether a drain is in progress, including the synchronous start of one. */
  private draining = false
  private readonly commit: CommitGroup
  /** Most bytes of keys and values in one group (the first batch may exceed it alone). */
  private readonly maxGroupBytes: number
  /** Writes in the last group committed: more than one means writers are arriving together. */
  private lastGroupSize = 0

  constructor(commit: CommitGroup, maxGroupBytes = 4 * 1024 * 1024) {
    this.commit = commit
    this.maxGroupBytes = maxGroupBytes
  }

  write(ops: BatchOps, sync: boolean): Promise<void> {
    if (!this.draining) return this.commitAlone(ops, sync)
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ ops, sync, resolve, reject })
    })
  }

  /**
   * A write that finds the queue idle is a group of one, committed at once without a drain: its
   * caller gets the commit's own promise (a lone synced writer's path from the fsync's
   * completion to its next put holds no promise of the queue's, no async frame, no resolve
   * call). Writes that arrive meanwhile queue up; the reaction registered here, which runs
   * before the caller's, drains them.
   */
  private commitAlone(ops: BatchOps, sync: boolean): Promise<void> {
    this.draining = true
    this.lastGroupSize = 1
    let committing: Promise<void> | undefined
    try {
      committing = this.commit([{ ops, sync, resolve: NOTHING, reject: NOTHING }])
    } catch (err) {
      this.afterAlone()
      return Promise.reject(err)
    }
    if (committing === undefined) {
      this.afterAlone()
      return RESOLVED
    }
    this.running = committing.then(this.afterAloneSettled, this.afterAloneSettled)
    return committing
  }

  /** Bound once: the reaction commitAlone() puts on every commit that has to wait. */
  private readonly afterAloneSettled = (): void => {
    this.running = undefined
    this.afterAlone()
  }

  /** The lone write is done: drain whatever queued meanwhile, or go idle. */
  private afterAlone(): void {
    if (this.pending.length > 0) this.start()
    else this.draining = false
  }

  /** Runs `step` between groups, with no write in progress; resolves with its result. */
  runExclusive<T>(step: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let result: T
      const run = async (): Promise<void> => {
        result = await step()
      }
      this.pending.push({ ops: NO_OPS, sync: false, exclusive: run, resolve: () => resolve(result), reject })
      if (!this.draining) this.start()
    })
  }

  /** Resolves when every write enqueued so far has been committed or failed. */
  async idle(): Promise<void> {
    while (this.running) await this.running
  }

  /**
   * Starts a drain. It may end before drain() returns (every group committed without waiting):
   * then there is nothing to keep for idle().
   */
  private start(): void {
    this.draining = true
    const drained = this.drain()
    if (this.draining) this.running = drained
  }

  private async drain(): Promise<void> {
    for (;;) {
      // Writers released together (a group just committed) come back a few microtasks later.
      // Picking the next group at once would take only those that queued during the fsync and
      // leave the released ones for the group after: a crowd of synced writers split in two
      // groups, two fsyncs where one does. So after a group of several, the leader lets the
      // microtasks run out (one event-loop turn) before it picks. A lone writer never waits.
      if (this.lastGroupSize > 1) await nextTurn()
      if (this.pending.length === 0) break
      const head = this.pending[0]
      if (head.exclusive) {
        this.pending.shift()
        await head.exclusive().then(head.resolve, head.reject)
        continue
      }
      let n = 0
      let bytes = 0
      while (
        n < this.pending.length &&
        !this.pending[n].exclusive &&
        (n === 0 || bytes + this.pending[n].ops.bytes <= this.maxGroupBytes)
      ) {
        bytes += this.pending[n].ops.bytes
        n++
      }
      const group = this.pending.splice(0, n)
      this.lastGroupSize = n
      try {
        const committing = this.commit(group)
        if (committing !== undefined) await committing
        for (const w of group) w.resolve()
      } catch (err) {
        for (const w of group) w.reject(err)
      }
    }
    this.draining = false
    this.running = undefined
  }
}
