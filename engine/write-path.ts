// The write path: batches → writer queue (group commit) → value log for large values → one WAL
// record per group → memtable, with back-pressure (stalls) and memtable rotation in front. A
// synced group of at most SYNCED_INLINE_MAX bytes keeps its large values inline (in its WAL record
// and the memtable), so it costs one fdatasync, the WAL's; the flush moves them to a whole
// value-log file of their own (compaction/compaction-job.ts, vlog/whole-file.ts).
//
// Owns: the writer queue, the oracle's write registration, the change feed's publishing, the
// stall counters. Touches in EngineState: `mem`, `wal`, `walNumber`, `frozen` (unshift only),
// `versions.lastSeq`, the value log's active file, `failure` (recorded by any failed step).
// Must never: insert into the memtable except as the writer queue's leader (commitGroup) or from
// inside runExclusive; edit tables in the manifest (the background lanes do); wait for the
// background lanes other than through the `lanes` hooks it is given.

import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import { ClosedError, InvalidArgumentError } from '../base/errors.js'
import { filePath, walFileName } from '../base/filenames.js'
import { entryPayload, replacePayload } from '../base/entry-value.js'
import { Kind } from '../base/internal-key.js'
import { emptyEdit } from '../manifest/index.js'
import { type ValueLogEntry, encodePointer } from '../vlog/index.js'
import { LogWriter, WAL_PREALLOCATE } from '../wal/index.js'
import { checkFitsOneRecord } from './input.js'
import type { CommitRecord, Oracle } from './oracle.js'
import { type EngineState, YIELD_AFTER_MS } from './state.js'
import type { CapturedBatch, Subscriptions } from './subscriptions.js'
import { BatchOps, batchRecordSize, encodeBatchRecordInto } from './write-batch.js'
import { type PendingWrite, WriteQueue } from './write-queue.js'

/**
 * A synced group of at most this many bytes keeps its large values inline: one file's fdatasync
 * per put instead of two at once (the value log's and the WAL's), which reached only ~0.5-0.65x
 * of one file's append+fdatasync rate. Larger groups gain little (the bytes dominate) and would
 * fill the memtable with values, so they keep the value log.
 */
export const SYNCED_INLINE_MAX = 1 << 20

/** What the write path asks of the background lanes. */
export interface LaneHooks {
  /** Starts the flush and compaction lanes if they have work. */
  schedule(): void
  /** Resolves when a background step has finished (or there is nothing to wait for). */
  waitForProgress(): Promise<void>
}

export class WritePath {
  private readonly queue: WriteQueue
  private readonly s: EngineState
  private readonly oracle: Oracle
  private readonly subscriptions: Subscriptions
  private readonly lanes: LaneHooks
  private lastYield = 0

  constructor(s: EngineState, oracle: Oracle, subscriptions: Subscriptions, lanes: LaneHooks) {
    this.s = s
    this.oracle = oracle
    this.subscriptions = subscriptions
    this.lanes = lanes
    this.queue = new WriteQueue((group) => this.commitGroup(group))
  }

  /**
   * Writes a filled batch; while transactions may be open it is registered for their checks.
   * Without them the batch goes straight to the queue (no async frame of its own: a single
   * writer's put is on the fsync's critical path). Never throws: a refusal is a rejection.
   */
  write(ops: BatchOps, syncOption: boolean | undefined): Promise<void> {
    if (this.oracle.tracking) return this.writeTracked(ops, syncOption, this.oracle.start(ops.keys))
    try {
      return this.queue.write(ops, this.checkWrite(ops, syncOption))
    } catch (err) {
      return Promise.reject(err)
    }
  }

  /** The batch's sync flag, once the engine is open and the batch fits one WAL record. */
  private checkWrite(ops: BatchOps, syncOption: boolean | undefined): boolean {
    const sync = syncOption ?? this.s.options.sync
    if (this.s.lifecycle !== 'open') throw new ClosedError()
    if (typeof sync !== 'boolean') throw new InvalidArgumentError('options.sync must be a boolean')
    checkFitsOneRecord(ops, this.s.options.valueThreshold)
    return sync
  }

  /** Queues a batch; settles the oracle's record of it with its sequence numbers or its failure. */
  async writeTracked(ops: BatchOps, syncOption: boolean | undefined, record: CommitRecord | undefined): Promise<void> {
    try {
      await this.queue.write(ops, this.checkWrite(ops, syncOption))
    } catch (err) {
      if (record) this.oracle.finish(record, undefined)
      throw err
    }
    if (record) this.oracle.finish(record, ops.firstSeq + ops.length - 1)
  }

  /** Resolves once every write queued so far has been committed (or failed). */
  idle(): Promise<void> {
    return this.queue.idle()
  }

  /**
   * A sequence number for a step that writes no entry (a dropPrefix), so the change feed can
   * place it between the writes. requires: inside runExclusive.
   */
  takeSequenceNumber(): number {
    return ++this.s.versions.lastSeq
  }

  /** Runs `step` alone, between write groups. */
  runExclusive<T>(step: () => Promise<T>): Promise<T> {
    return this.queue.runExclusive(step)
  }

  /**
   * The writer queue's leader: one WAL record and at most one fsync for the whole group.
   *
   * Synchronous up to the fsync when nothing has to wait (no stall, no blocking subscriber, no
   * turn for the event loop, no new value-log file): a lone synced writer's put issues its
   * fdatasync inside the put() call, and the time between one fsync's completion and the next
   * one's submission (a single writer's critical path) holds as little code as we can manage.
   * Returns undefined when the group committed without waiting at all.
   */
  private commitGroup(group: PendingWrite[]): Promise<void> | undefined {
    const s = this.s
    s.throwIfFailed()
    let bytes = 0
    let count = 0
    let sync = false
    for (let i = 0; i < group.length; i++) {
      const w = group[i]
      bytes += w.ops.bytes
      count += w.ops.length
      sync ||= w.sync
    }
    if (!this.hasRoomNow(bytes) || performance.now() - this.lastYield >= YIELD_AFTER_MS) {
      return this.waitThenCommit(group, bytes, count, sync, undefined)
    }
    // Asked once: a promise from roomFor() is a place in the subscribers' line.
    const room = this.subscriptions.active ? this.subscriptions.roomFor(bytes, count) : undefined
    if (room !== undefined) return this.waitThenCommit(group, bytes, count, sync, room)
    return this.commitNow(group, bytes, count, sync)
  }

  /**
   * commitGroup's steps that may wait: room in the memtable, subscribers, a turn for the event
   * loop. `room` is roomFor()'s answer when commitGroup already found the memtable had room.
   */
  private async waitThenCommit(group: PendingWrite[], bytes: number, count: number, sync: boolean, room: Promise<void> | undefined): Promise<void> {
    const s = this.s
    if (room === undefined) {
      await this.makeRoomForWrite(bytes)
      // Subscribers with onFull 'block' slow the writers: the group waits until they have room.
      room = this.subscriptions.roomFor(bytes, count)
    }
    if (room !== undefined) {
      await room
      if (s.lifecycle === 'closed') throw new ClosedError()
    }
    // Writes that complete without I/O resolve through microtasks alone: a caller awaiting one
    // put after another would never let the event loop turn (timers, I/O, an inline flush all
    // wait). So the leader gives the event loop a turn once this much time has passed.
    const now = performance.now()
    if (now - this.lastYield >= YIELD_AFTER_MS) {
      await yieldToEventLoop()
      this.lastYield = performance.now()
      if (s.lifecycle === 'closed') throw new ClosedError()
    }
    await this.commitNow(group, bytes, count, sync)
  }

  /**
   * Whether makeRoomForWrite() would return at once: no stall, and the group fits the memtable.
   * (roomFor() is asked separately; it has no side effect when it answers undefined.)
   */
  private hasRoomNow(bytes: number): boolean {
    const s = this.s
    if (s.lifecycle !== 'open' && s.lifecycle !== 'closing') return false
    if (s.versions.current.levels[0].length >= s.options.l0SlowdownTrigger) return false
    return s.mem.count === 0 || s.mem.byteSize + bytes <= s.memory.memtableLimit(s.versions.current)
  }

  /** The group's writes, once nothing has to wait but a new value-log file and the fsync. */
  private commitNow(group: PendingWrite[], bytes: number, count: number, sync: boolean): Promise<void> | undefined {
    const s = this.s
    const firstSeq = s.versions.lastSeq + 1
    // The change feed reports values as written, before large ones become pointers.
    const captured = this.subscriptions.active ? this.subscriptions.capture(group.map((w) => w.ops)) : undefined
    // A small synced group keeps its large values inline (SYNCED_INLINE_MAX).
    const large = sync && bytes <= SYNCED_INLINE_MAX ? undefined : this.largeValues(group, firstSeq)
    if (large !== undefined && s.vlog.needsNewFile(bytes)) {
      return startValueLogFile(s).then(() => this.append(group, firstSeq, count, sync, captured, large))
    }
    return this.append(group, firstSeq, count, sync, captured, large)
  }

  /**
   * Appends the group (values to the value log, then its WAL record) and, for a synced group,
   * starts the fsync. The memtable insert runs while the fsync is in flight: its entries carry
   * sequence numbers above versions.lastSeq, which every reader's sequence is at most (gets and
   * iterators read at lastSeq or a snapshot, backups and the change feed's catch-up skip entries
   * above their snapshot's), so they stay invisible until the fsync succeeded and lastSeq covers
   * them. After a failed fsync lastSeq never moves again (the engine has failed), and the
   * memtable is never flushed: the entries are never seen or exported.
   */
  private append(
    group: PendingWrite[], firstSeq: number, count: number, sync: boolean, captured: CapturedBatch[] | undefined, large: LargeValues | undefined,
  ): Promise<void> | undefined {
    const s = this.s
    let syncing: Promise<unknown> | undefined
    try {
      // Large values go to the value log, then the WAL record that points at them. A synced
      // group fsyncs both files at once (WiscKey: no second serial fsync on the critical path)
      // and is acknowledged once both are done. So the WAL's record may reach the disk without
      // its values: recovery takes a newest-WAL record pointing past the value log's end for the
      // unsynced tail it is, unless a later WAL record claims it synced (engine/recovery.ts). No
      // later record is written before both fsyncs succeeded, and after a failed one the WAL
      // gets no closing marker (lifecycle.ts). The record's value-log claim is the durable end
      // before this group, so it never covers the group's own values.
      if (large !== undefined) this.appendValues(large)
      this.appendRecord(group, firstSeq)
      if (sync && s.vlog.hasUnsynced) {
        // Both settle before the group fails: neither file is closed under a running fsync.
        syncing = bothSettled(s.vlog.sync(), s.wal.sync())
      } else if (sync) {
        // The WAL alone: its fsync's one reaction publishes the group (syncThen), and the
        // group's promise is what the writer awaits. The group's state waits in fields (one
        // group is in flight at a time), so nothing is allocated for the reaction.
        this.syncedFirstSeq = firstSeq
        this.syncedCount = count
        this.syncedCaptured = captured
        this.syncedInsertFailure = undefined
        const done = s.wal.syncThen(this.onWalSynced, this.onWalSyncFailed)
        try {
          this.insert(group, firstSeq, count)
        } catch (err) {
          this.syncedInsertFailure = err
        }
        return done
      }
    } catch (err) {
      // The WAL may now hold a record we cannot vouch for: stop accepting writes.
      throw s.failure.fail(err)
    }
    if (syncing === undefined) {
      try {
        this.insert(group, firstSeq, count)
      } catch (err) {
        s.versions.lastSeq = firstSeq + count - 1
        throw s.failure.fail(err)
      }
      this.publish(firstSeq, count, captured)
      return undefined
    }
    let inserted: unknown = undefined
    try {
      this.insert(group, firstSeq, count)
    } catch (err) {
      inserted = err
    }
    return syncing.then(
      () => {
        // The event loop turned while the fsync ran: no need for another turn soon.
        this.lastYield = performance.now()
        if (inserted !== undefined) {
          // The WAL holds the group but the memtable only part of it: the sequence numbers are
          // spent, and a later group must not reuse them. Only a reopen can replay it whole.
          s.versions.lastSeq = firstSeq + count - 1
          throw s.failure.fail(inserted)
        }
        this.publish(firstSeq, count, captured)
      },
      (err: unknown) => {
        throw s.failure.fail(err)
      },
    )
  }

  // The group whose WAL fsync is in flight (append()'s WAL-only path), for onWalSynced.
  private syncedFirstSeq = 0
  private syncedCount = 0
  private syncedCaptured: CapturedBatch[] | undefined = undefined
  private syncedInsertFailure: unknown = undefined

  /** The WAL fsync of the group in the synced* fields succeeded: publish it (append() above). */
  private readonly onWalSynced = (): void => {
    const s = this.s
    const firstSeq = this.syncedFirstSeq
    const count = this.syncedCount
    const captured = this.syncedCaptured
    const failed = this.syncedInsertFailure
    this.syncedCaptured = undefined
    this.syncedInsertFailure = undefined
    // The event loop turned while the fsync ran: no need for another turn soon.
    this.lastYield = performance.now()
    if (failed !== undefined) {
      // The WAL holds the group but the memtable only part of it: the sequence numbers are
      // spent, and a later group must not reuse them. Only a reopen can replay it whole.
      s.versions.lastSeq = firstSeq + count - 1
      throw s.failure.fail(failed)
    }
    this.publish(firstSeq, count, captured)
  }

  private readonly onWalSyncFailed = (err: unknown): never => {
    this.syncedCaptured = undefined
    this.syncedInsertFailure = undefined
    throw this.s.failure.fail(err)
  }

  /**
   * The group's WAL record, encoded straight into the WAL's frame buffer (no payload array, no
   * copy of it). The record's value-log claim is the durable end before this group.
   */
  private appendRecord(group: PendingWrite[], firstSeq: number): void {
    const s = this.s
    const batches = batchesOf(group)
    const claim = s.vlog.durableEnd
    const size = batchRecordSize(firstSeq, batches, claim)
    const buf = s.wal.reserve(size)
    encodeBatchRecordInto(buf, s.wal.payloadOffset, firstSeq, batches, claim)
    s.wal.appendReserved(size)
    s.counters.walBytesWritten += size
  }

  /** Adds the group to the memtable under firstSeq.. (invisible until lastSeq covers them). */
  private insert(group: PendingWrite[], firstSeq: number, count: number): void {
    const s = this.s
    let seq = firstSeq
    for (let g = 0; g < group.length; g++) {
      const ops = group[g].ops
      const { kinds, keys, values } = ops
      ops.firstSeq = seq
      for (let i = 0; i < kinds.length; i++) s.mem.add(keys[i], seq++, kinds[i], values[i])
    }
  }

  /** Makes the group visible (lastSeq) and hands it to the change feed. */
  private publish(firstSeq: number, count: number, captured: CapturedBatch[] | undefined): void {
    this.s.versions.lastSeq = firstSeq + count - 1
    if (captured) this.subscriptions.publish(captured, firstSeq)
  }

  /** The group's values of at least valueThreshold bytes, to go to the value log; undefined if none. */
  private largeValues(group: PendingWrite[], firstSeq: number): LargeValues | undefined {
    const threshold = this.s.options.valueThreshold
    let large: LargeValues | undefined
    let seq = firstSeq
    for (let g = 0; g < group.length; g++) {
      const ops = group[g].ops
      const { kinds, keys, values } = ops
      for (let i = 0; i < kinds.length; i++, seq++) {
        const kind = kinds[i]
        if ((kind !== Kind.Value && kind !== Kind.ValueWithHeader) || values[i].length < threshold) continue
        const value = entryPayload(kind, values[i])
        if (value.length < threshold) continue
        large ??= { entries: [], where: [] }
        large.entries.push({ key: keys[i], seq, value })
        large.where.push([ops, i])
      }
    }
    return large
  }

  /** Appends the large values to the value log and replaces them in the batches by pointers. */
  private appendValues(large: LargeValues): void {
    const pointers = this.s.vlog.append(large.entries)
    let written = 0
    for (let j = 0; j < pointers.length; j++) {
      const [ops, i] = large.where[j]
      if (ops.kinds[i] === Kind.ValueWithHeader) {
        ops.kinds[i] = Kind.ValuePointerWithHeader
        ops.values[i] = replacePayload(Kind.ValueWithHeader, ops.values[i], encodePointer(pointers[j]))
      } else {
        ops.kinds[i] = Kind.ValuePointer
        ops.values[i] = encodePointer(pointers[j])
      }
      written += pointers[j].length
    }
    this.s.counters.valueLogBytesWritten += written
  }

  /** Freezes a full memtable and waits (back-pressure) while frozen memtables or L0 pile up. */
  private async makeRoomForWrite(bytes: number): Promise<void> {
    const s = this.s
    const o = s.options
    let slowed = false
    for (;;) {
      s.throwIfFailed()
      if (s.lifecycle !== 'open' && s.lifecycle !== 'closing') throw new ClosedError()
      const l0 = s.versions.current.levels[0].length
      if (!slowed && l0 >= o.l0SlowdownTrigger && l0 < o.l0StopTrigger) {
        slowed = true
        await this.stall(() => new Promise((r) => setTimeout(r, 1)))
        continue
      }
      // The memory budget may freeze memtables below memtableSize (engine/memory-budget.ts).
      if (s.mem.count === 0 || s.mem.byteSize + bytes <= s.memory.memtableLimit(s.versions.current)) return
      if (s.frozen.length >= o.maxImmutableMemtables || l0 >= o.l0StopTrigger) {
        // waitForProgress starts the lanes once stall() has counted this write: a pass started
        // before, while closing, would see no stalled write, pick nothing, and wake this write to
        // start the same empty pass again, a loop of microtasks.
        await this.stall(() => this.lanes.waitForProgress())
        continue
      }
      await this.rotateMemtable()
    }
  }

  private async stall(wait: () => Promise<void>): Promise<void> {
    const t = performance.now()
    this.s.counters.stalls++
    this.s.stalledWrites++
    try {
      await wait()
    } finally {
      this.s.stalledWrites--
    }
    this.s.counters.stallMs += performance.now() - t
  }

  /**
   * Freezes the memtable and starts a new WAL. The old WAL is synced first, so only the newest
   * WAL can ever end in a torn tail; the new name is made durable before anything is acked in it.
   * requires: run by the writer queue's leader or inside runExclusive.
   */
  async rotateMemtable(): Promise<void> {
    const s = this.s
    // The frozen memtable's pointers must lead to durable values before its table can replace
    // the WAL, and only the newest WAL may point past the value log's durable end. Sealed: once
    // the table replaces the WAL, the value log's own marker vouches for those values.
    // Any failure here fails the engine (wal, walNumber and mem are out of step from wal.close()
    // on); reads, all that is still allowed, use only mem and frozen, which stay right.
    let number: number
    try {
      await s.vlog.seal()
      // No zero tail for a WAL about to close: an unsynced WAL's first sync would write one.
      s.wal.endPreallocation()
      await s.wal.sync()
      await s.wal.close()
      number = s.versions.newFileNumber()
      s.wal = LogWriter.create(s.fs.create(filePath(s.dir, walFileName(number)), { preallocate: WAL_PREALLOCATE }), 'wal')
      await s.wal.sync()
      await s.fs.syncDir(s.dir)
    } catch (err) {
      throw s.failure.fail(err)
    }
    s.frozen.unshift({ mem: s.mem, walNumber: s.walNumber })
    s.mem = s.newMemtable()
    s.walNumber = number
    this.lanes.schedule()
  }

  /** A new active value-log file. requires: the writer queue's leader or inside runExclusive. */
  startValueLogFile(): Promise<void> {
    return startValueLogFile(this.s)
  }

  /** Rotates the memtable if it holds anything (flush()'s first step). */
  rotateIfNotEmpty(): Promise<void> {
    return this.queue.runExclusive(async () => {
      if (this.s.mem.count > 0) await this.rotateMemtable()
    })
  }

  /** Raises the last sequence number to `seq` in the manifest (a backup load's last step). */
  raiseLastSeq(seq: number): Promise<void> {
    return this.queue.runExclusive(async () => {
      if (seq <= this.s.versions.lastSeq) return
      const edit = emptyEdit()
      edit.lastSeq = seq
      try {
        await this.s.appendEdit(edit)
      } catch (err) {
        throw this.s.failure.fail(err)
      }
      this.s.versions.apply(edit)
    })
  }
}

/** The values a group sends to the value log, and where each one's pointer goes. */
interface LargeValues {
  entries: ValueLogEntry[]
  where: [BatchOps, number][]
}

/** The group's batches: no array built for a lone writer's group beyond one element. */
function batchesOf(group: PendingWrite[]): BatchOps[] {
  return group.length === 1 ? [group[0].ops] : group.map((w) => w.ops)
}

/**
 * Resolves once both have settled; rejects with the first one's error if it failed, else the
 * second's. One reaction on each and none after (Promise.allSettled and a then took two more
 * microtasks after the later fsync's completion).
 */
function bothSettled(a: Promise<void>, b: Promise<void>): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let left = 2
    let errA: unknown
    let errB: unknown
    let failedA = false
    let failedB = false
    const settle = (): void => {
      if (--left > 0) return
      if (failedA) reject(errA)
      else if (failedB) reject(errB)
      else resolve()
    }
    a.then(settle, (err: unknown) => {
      failedA = true
      errA = err
      settle()
    })
    b.then(settle, (err: unknown) => {
      failedB = true
      errB = err
      settle()
    })
  })
}

/**
 * A new active value-log file: created and synced, then recorded in the manifest, then used.
 * requires: run by the writer queue's leader or inside runExclusive (value-log relocation).
 */
async function startValueLogFile(s: EngineState): Promise<void> {
  const number = s.versions.newFileNumber()
  try {
    await s.vlog.startFile(number)
    const edit = emptyEdit()
    edit.addedValueLogs = [number]
    edit.nextFileNumber = s.versions.nextFileNumber
    await s.appendEdit(edit)
    s.versions.apply(edit)
  } catch (err) {
    throw s.failure.fail(err)
  }
}
