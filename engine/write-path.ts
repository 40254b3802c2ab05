// The write path: batches → writer queue (group commit) → value log for large values → one WAL
// record per group → memtable, with back-pressure (stalls) and memtable rotation in front.
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
import { LogWriter } from '../wal/index.js'
import { checkFitsOneRecord } from './input.js'
import type { CommitRecord, Oracle } from './oracle.js'
import { type EngineState, YIELD_AFTER_MS } from './state.js'
import type { Subscriptions } from './subscriptions.js'
import { BatchOps, encodeBatchRecord } from './write-batch.js'
import { type PendingWrite, WriteQueue } from './write-queue.js'

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

  /** Writes a filled batch; while transactions may be open it is registered for their checks. */
  write(ops: BatchOps, syncOption: boolean | undefined): Promise<void> {
    const record = this.oracle.tracking ? this.oracle.start(ops.keys) : undefined
    return this.writeTracked(ops, syncOption, record)
  }

  /** Queues a batch; settles the oracle's record of it with its sequence numbers or its failure. */
  async writeTracked(ops: BatchOps, syncOption: boolean | undefined, record: CommitRecord | undefined): Promise<void> {
    const sync = syncOption ?? this.s.options.sync
    try {
      if (this.s.lifecycle !== 'open') throw new ClosedError()
      if (typeof sync !== 'boolean') throw new InvalidArgumentError('options.sync must be a boolean')
      checkFitsOneRecord(ops, this.s.options.valueThreshold)
      await this.queue.write(ops, sync)
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

  /** The writer queue's leader: one WAL record and at most one fsync for the whole group. */
  private async commitGroup(group: PendingWrite[]): Promise<void> {
    const s = this.s
    s.throwIfFailed()
    let bytes = 0
    let count = 0
    let sync = false
    for (const w of group) {
      bytes += w.ops.bytes
      count += w.ops.length
      sync ||= w.sync
    }
    await this.makeRoomForWrite(bytes)
    // Subscribers with onFull 'block' slow the writers: the group waits until they have room.
    const room = this.subscriptions.roomFor(bytes, count)
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
    const firstSeq = s.versions.lastSeq + 1
    // The change feed reports values as written, before large ones become pointers.
    const captured = this.subscriptions.active ? this.subscriptions.capture(group.map((w) => w.ops)) : undefined
    try {
      // Large values go to the value log, then the WAL record that points at them. A synced
      // group fsyncs both files at once (WiscKey: no second serial fsync on the critical path)
      // and is acknowledged once both are done. So the WAL's record may reach the disk without
      // its values: recovery takes a newest-WAL record pointing past the value log's end for the
      // unsynced tail it is, unless a later WAL record claims it synced (engine/recovery.ts). No
      // later record is written before both fsyncs succeeded, and after a failed one the WAL
      // gets no closing marker (lifecycle.ts). The record's value-log claim is the durable end
      // before this group, so it never covers the group's own values.
      await this.separateValues(group, firstSeq, bytes)
      const record = encodeBatchRecord(firstSeq, group.map((w) => w.ops), s.vlog.durableEnd)
      s.wal.append(record)
      s.counters.walBytesWritten += record.length
      if (sync) {
        if (s.vlog.hasUnsynced) {
          // Both settle before the group fails: neither file is closed under a running fsync.
          const [values, wal] = await Promise.allSettled([s.vlog.sync(), s.wal.sync()])
          if (values.status === 'rejected') throw values.reason
          if (wal.status === 'rejected') throw wal.reason
        } else {
          await s.wal.sync()
        }
        // The event loop turned while the fsync ran: no need for another turn soon.
        this.lastYield = performance.now()
      }
    } catch (err) {
      // The WAL may now hold a record we cannot vouch for: stop accepting writes.
      throw s.failure.fail(err)
    }
    let seq = firstSeq
    try {
      for (const w of group) {
        const { kinds, keys, values } = w.ops
        w.ops.firstSeq = seq
        for (let i = 0; i < kinds.length; i++) s.mem.add(keys[i], seq++, kinds[i], values[i])
      }
    } catch (err) {
      // The WAL holds the group but the memtable only part of it: the sequence numbers are
      // spent, and a later group must not reuse them. Only a reopen can replay it whole.
      s.versions.lastSeq = firstSeq + count - 1
      throw s.failure.fail(err)
    }
    s.versions.lastSeq = firstSeq + count - 1
    if (captured) this.subscriptions.publish(captured, firstSeq)
  }

  /**
   * Appends the group's values of at least valueThreshold bytes to the value log and replaces
   * them in the batches by pointers. Returns whether it appended anything.
   */
  private async separateValues(group: PendingWrite[], firstSeq: number, bytes: number): Promise<boolean> {
    const threshold = this.s.options.valueThreshold
    const entries: ValueLogEntry[] = []
    const where: [BatchOps, number][] = []
    let seq = firstSeq
    for (const w of group) {
      const { kinds, keys, values } = w.ops
      for (let i = 0; i < kinds.length; i++, seq++) {
        const kind = kinds[i]
        if ((kind !== Kind.Value && kind !== Kind.ValueWithHeader) || values[i].length < threshold) continue
        const value = entryPayload(kind, values[i])
        if (value.length < threshold) continue
        entries.push({ key: keys[i], seq, value })
        where.push([w.ops, i])
      }
    }
    if (entries.length === 0) return false
    if (this.s.vlog.needsNewFile(bytes)) await startValueLogFile(this.s)
    const pointers = this.s.vlog.append(entries)
    for (let j = 0; j < pointers.length; j++) {
      const [ops, i] = where[j]
      if (ops.kinds[i] === Kind.ValueWithHeader) {
        ops.kinds[i] = Kind.ValuePointerWithHeader
        ops.values[i] = replacePayload(Kind.ValueWithHeader, ops.values[i], encodePointer(pointers[j]))
      } else {
        ops.kinds[i] = Kind.ValuePointer
        ops.values[i] = encodePointer(pointers[j])
      }
    }
    this.s.counters.valueLogBytesWritten += pointers.reduce((n, p) => n + p.length, 0)
    return true
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
        this.lanes.schedule()
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
      await s.wal.sync()
      await s.wal.close()
      number = s.versions.newFileNumber()
      s.wal = LogWriter.create(s.fs.create(filePath(s.dir, walFileName(number))), 'wal')
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
