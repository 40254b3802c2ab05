// The background lanes: the flush lane (frozen memtables → L0 tables, oldest first, one at a
// time) and the compaction lane (drops, then manual compactions, then picked compactions, one
// at a time). Each result is applied as one manifest edit. The lanes run side by side: their
// manifest edits are serialized by the manifest writer, a flush only adds an L0 table, and a
// compaction only deletes tables it marked as compacting.
//
// Owns: the lanes' promises, the progress waiters, the queues of manual compactions and drops,
// the compaction cursors. Touches in EngineState: `frozen` (pop only), `versions` and `manifest`
// (table edits, drops), table readers, `counters`, `failure` (recorded on a failed step).
// Must never: insert into the memtable or append to the WAL (the write path does); start a step
// after close has begun waiting, or once the engine has failed.

import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import { filePath, tableFileName, vlogFileName, walFileName } from '../base/filenames.js'
import { rangeWithinPrefix } from '../base/dropped-prefixes.js'
import { entryPayload, isPointerKind } from '../base/entry-value.js'
import {
  type CompactionPlan, manualOutputLevel, outputNumbersNeeded, pickCompaction, planCompaction,
} from '../compaction/index.js'
import { FileMetadata, NUM_LEVELS, type TableMeta, emptyEdit } from '../manifest/index.js'
import type { Memtable } from '../memtable/index.js'
import { type OpenedTable, TableReader } from '../sstable/index.js'
import { decodePointer } from '../vlog/index.js'
import { type EngineState, YIELD_AFTER_MS } from './state.js'
import { type ProgressCallback, progressReporter } from './progress.js'

/**
 * A flush's L0 tables, the value-log bytes it made garbage, the history it merged away, and the
 * whole value-log file it wrote the memtable's inline large values to, if any (durable, but live
 * only once an edit adds it: addedWholeValueLogs, then ValueLog.addWholeFile).
 */
export interface Level0Tables {
  tables: FileMetadata[]
  valueLogDiscards: Map<number, number>
  mergeHorizon: number
  wholeValueLog?: { fileNumber: number; size: number }
}

/** A dropPrefix()/dropAll() call waiting for the compaction lane to record it. */
export interface PendingDrop {
  prefixes: Uint8Array[]
  seq: number
  done: () => void
  fail: (err: unknown) => void
}

/** A compactRange() call: `level` is the next level to compact out of. */
interface ManualCompaction {
  lo: Uint8Array | undefined
  hi: Uint8Array | undefined
  level: number
  /** Tables numbered from here on were written by this call's own steps. */
  firstOutput: number
  /** Told of the tables each step compacted (for its progress). */
  consumed: (tables: readonly FileMetadata[]) => void
  done: () => void
  fail: (err: unknown) => void
}

export class BackgroundWork {
  private readonly s: EngineState
  /** Called after each background step (value-log maintenance starts auto GC from it). */
  private readonly afterStep: () => void
  private background: Promise<void> | undefined
  private flushing: Promise<void> | undefined
  private progressWaiters: (() => void)[] = []
  private readonly manualCompactions: ManualCompaction[] = []
  private readonly pendingDrops: PendingDrop[] = []
  private readonly compactCursors: (Uint8Array | undefined)[] = []

  constructor(s: EngineState, afterStep: () => void) {
    this.s = s
    this.afterStep = afterStep
  }

  /** `opened`: what the worker decoded when it checked the table (saves doing it on this thread). */
  openTable(f: FileMetadata, opened?: OpenedTable): void {
    const s = this.s
    const path = filePath(s.dir, tableFileName(f.fileNumber))
    f.reader = opened
      ? TableReader.fromOpened(s.fs, path, f.fileNumber, s.cache, opened)
      : TableReader.open(s.fs, path, f.fileNumber, s.cache)
  }

  /** The version set's callback for a table no version holds any more. */
  onObsoleteTable(f: FileMetadata): void {
    const s = this.s
    f.reader?.close()
    f.reader = undefined
    s.cache.dropTable(f.fileNumber)
    if (s.lifecycle === 'closed') return
    this.removeLeftover(f.fileNumber)
  }

  /** Removes a table no manifest lists (a replaced one, or the output of a failed job). */
  private removeLeftover(fileNumber: number): void {
    try {
      this.s.runner.remove(filePath(this.s.dir, tableFileName(fileNumber)))
    } catch {
      // A file we fail to remove now is a leftover that the next open removes.
    }
  }

  /**
   * Writes a memtable as one L0 table (none when it is empty), with its reader open: in the
   * worker when its arena is shared, else inline.
   */
  async writeLevel0(mem: Memtable): Promise<Level0Tables> {
    const s = this.s
    if (mem.count === 0) return { tables: [], valueLogDiscards: new Map(), mergeHorizon: 0 }
    const fileNumber = s.versions.newFileNumber()
    // A number for the whole value-log file, used only if the memtable holds inline large values
    // (synced writes keep them there: engine/write-path.ts); otherwise it is simply skipped.
    const valueLogNumber = s.versions.newFileNumber()
    const result = await s.flushRunner.flush({
      dir: s.dir, memtable: mem.freeze(), fileNumber, table: s.tableOptions,
      smallestSnapshot: s.smallestSnapshot(), retention: s.retention(),
      wholeValueLog: { fileNumber: valueLogNumber, threshold: s.options.valueThreshold },
    }).catch((err: unknown) => {
      this.removeLeftover(fileNumber)
      this.removeWholeValueLog(valueLogNumber)
      throw err
    })
    const tables = result.tables.map((t, i) => {
      const f = new FileMetadata(t)
      this.openTable(f, result.opened?.[i])
      return f
    })
    const wholeValueLog = result.wholeValueLog && { fileNumber: result.wholeValueLog.fileNumber, size: result.wholeValueLog.size }
    if (wholeValueLog !== undefined) s.counters.valueLogBytesWritten += wholeValueLog.size
    return { tables, valueLogDiscards: result.valueLogDiscards, mergeHorizon: result.mergeHorizon, wholeValueLog }
  }

  /** Removes a failed flush's whole value-log file, if it got as far as creating one. */
  private removeWholeValueLog(fileNumber: number): void {
    const path = filePath(this.s.dir, vlogFileName(fileNumber))
    try {
      if (this.s.fs.exists(path)) this.s.runner.remove(path)
    } catch {
      // No edit names it: the next open removes it as a leftover.
    }
  }

  /** Starts the two lanes as needed (see the header). */
  schedule(): void {
    const s = this.s
    if (s.lifecycle === 'closed' || s.failure.failed !== undefined || s.options.readOnly) return
    if (!this.flushing && s.frozen.length > 0) {
      this.flushing = this.flushLoop().finally(() => {
        this.flushing = undefined
        this.notifyProgress()
        if (s.lifecycle !== 'closed' && s.frozen.length > 0) this.schedule()
      })
    }
    if (this.background) return
    let worked = false
    this.background = this.backgroundLoop(() => (worked = true)).finally(() => {
      this.background = undefined
      // A pass that found nothing to do changed nothing: waking waiters while a flush is running
      // would only have them start another pass at once, a loop of microtasks that starves the
      // flush. With no flush running either, they are woken to look again.
      if (worked || !this.flushing) this.notifyProgress()
      // Work queued while the loop was finishing its last pass (it had already looked) would
      // otherwise wait for the next write.
      if (s.lifecycle === 'open' && (this.manualCompactions.length > 0 || this.pendingDrops.length > 0)) {
        this.schedule()
      }
    })
  }

  private async flushLoop(): Promise<void> {
    const s = this.s
    try {
      while (s.lifecycle !== 'closed' && s.frozen.length > 0 && s.failure.failed === undefined) {
        await this.flushOldest()
        this.notifyProgress()
        // A new L0 table may be what the compaction lane was waiting for.
        this.schedule()
        this.afterStep()
      }
    } catch (err) {
      this.failBackground(err)
    }
  }

  private failBackground(err: unknown): void {
    this.s.failure.fail(err)
    for (const m of this.manualCompactions.splice(0)) m.fail(err)
    for (const d of this.pendingDrops.splice(0)) d.fail(err)
  }

  private async backgroundLoop(onStep: () => void): Promise<void> {
    const s = this.s
    try {
      for (;;) {
        if (s.lifecycle === 'closed' || s.failure.failed !== undefined) return
        if (this.pendingDrops.length > 0) {
          await this.applyDrop(this.pendingDrops[0])
        } else if (this.manualCompactions.length > 0 && s.lifecycle === 'open') {
          await this.manualCompactionStep(this.manualCompactions[0])
        } else {
          // While closing, only for writes stalled behind L0: close() waits for them to commit,
          // and without a compaction they never would (the waiter would spin on microtasks).
          const plan = s.lifecycle === 'open' || (s.lifecycle === 'closing' && s.stalledWrites > 0)
            ? pickCompaction(s.versions.current, this.pickerOptions(), this.compactCursors)
            : undefined
          if (!plan) return
          await this.compact(plan)
        }
        onStep()
        this.notifyProgress()
        this.afterStep()
      }
    } catch (err) {
      this.failBackground(err)
    }
  }

  private notifyProgress(): void {
    // Each step may have changed the tables, and with them the budget's shares.
    this.s.memory.rebalance(this.s.versions.current)
    const waiters = this.progressWaiters
    this.progressWaiters = []
    for (const w of waiters) w()
  }

  /** Resolves when a background step has finished, or at once when no lane has work. */
  waitForProgress(): Promise<void> {
    return new Promise((resolve) => {
      this.progressWaiters.push(resolve)
      this.schedule()
      if (!this.background && !this.flushing) this.notifyProgress()
    })
  }

  /** Waits until every frozen memtable is flushed; throws a background failure. */
  async drainFrozen(): Promise<void> {
    while (this.s.frozen.length > 0) {
      this.s.throwIfFailed()
      await this.waitForProgress()
    }
    this.s.throwIfFailed()
  }

  /** Waits for the running steps of both lanes (close()'s first wait). */
  async settle(): Promise<void> {
    while (this.background || this.flushing) await (this.background ?? this.flushing)
  }

  /** Fails every queued manual compaction and drop (at close). */
  failQueued(compactionError: unknown, dropError: unknown): void {
    for (const m of this.manualCompactions.splice(0)) m.fail(compactionError)
    for (const d of this.pendingDrops.splice(0)) d.fail(dropError)
  }

  pickerOptions() {
    const o = this.s.options
    return {
      l0CompactionTrigger: o.l0CompactionTrigger,
      l0SlowdownTrigger: o.l0SlowdownTrigger,
      levelBaseBytes: o.levelBaseBytes,
      levelMultiplier: o.levelMultiplier,
    }
  }

  /** Flushes the oldest frozen memtable: table durable → manifest edit durable → WAL removed. */
  private async flushOldest(): Promise<void> {
    const s = this.s
    const oldest = s.frozen[s.frozen.length - 1]
    const { tables, valueLogDiscards, mergeHorizon, wholeValueLog } = await this.writeLevel0(oldest.mem)
    const edit = emptyEdit()
    for (const table of tables) edit.addedTables.push({ level: 0, table })
    // The whole value-log file becomes live in the same edit as the table that points into it.
    if (wholeValueLog !== undefined) edit.addedWholeValueLogs = [wholeValueLog.fileNumber]
    edit.valueLogDiscards = valueLogDiscards
    if (mergeHorizon > s.versions.mergeHorizon) edit.mergeHorizon = mergeHorizon
    // The oldest WAL still needed is the next frozen memtable's, or the live one's.
    edit.logNumber = s.frozen.length > 1 ? s.frozen[s.frozen.length - 2].walNumber : s.walNumber
    edit.nextFileNumber = s.versions.nextFileNumber
    edit.lastSeq = s.versions.lastSeq
    await s.appendEdit(edit)
    if (wholeValueLog !== undefined) s.vlog.addWholeFile(wholeValueLog.fileNumber, wholeValueLog.size)
    s.versions.apply(edit)
    s.frozen.pop()
    s.memory.retire(oldest.mem)
    s.counters.flushes++
    s.flushRunner.remove(filePath(s.dir, walFileName(oldest.walNumber)))
  }

  private async compact(plan: CompactionPlan): Promise<void> {
    const s = this.s
    const all = plan.inputs.concat(plan.overlapping)
    const edit = emptyEdit()
    for (const f of plan.inputs) edit.deletedTables.push({ level: plan.level, fileNumber: f.fileNumber })
    if (plan.trivialMove) {
      edit.addedTables.push({ level: plan.outputLevel, table: plan.inputs[0] })
      await s.appendEdit(edit)
      s.versions.apply(edit)
      s.counters.trivialMoves++
      return
    }
    for (const f of all) f.compacting = true
    try {
      const meta = (f: FileMetadata): TableMeta => ({
        fileNumber: f.fileNumber, size: f.size, smallestKey: f.smallestKey, largestKey: f.largestKey,
        minSeq: f.minSeq, maxSeq: f.maxSeq, entryCount: f.entryCount,
      })
      const inputBytes = all.reduce((n, f) => n + f.size, 0)
      // The task may run in another thread: it gets its output file numbers up front.
      const fileNumbers = Array.from({ length: outputNumbersNeeded(inputBytes, s.options.tableTargetSize) }, () =>
        s.versions.newFileNumber())
      const result = await s.runner.run({
        dir: s.dir, level: plan.level, inputs: plan.inputs.map(meta), overlapping: plan.overlapping.map(meta),
        fileNumbers, table: s.tableOptions, targetFileSize: s.options.tableTargetSize,
        smallestSnapshot: s.smallestSnapshot(), dropTombstones: plan.bottommost, retention: s.retention(),
        grandparents: plan.grandparents.map((f) => ({ largestKey: f.largestKey, size: f.size })),
      }).catch((err: unknown) => {
        // Outputs of a failed job are in no manifest: remove them now, not at the next open.
        for (const n of fileNumbers) this.removeLeftover(n)
        throw err
      })
      for (const f of plan.overlapping) edit.deletedTables.push({ level: plan.outputLevel, fileNumber: f.fileNumber })
      for (const [i, t] of result.tables.entries()) {
        const f = new FileMetadata(t)
        this.openTable(f, result.opened?.[i])
        edit.addedTables.push({ level: plan.outputLevel, table: f })
      }
      edit.nextFileNumber = s.versions.nextFileNumber
      edit.valueLogDiscards = result.valueLogDiscards
      if (result.tombstoneHorizon > s.versions.tombstoneHorizon) edit.tombstoneHorizon = result.tombstoneHorizon
      if (result.mergeHorizon > s.versions.mergeHorizon) edit.mergeHorizon = result.mergeHorizon
      await s.appendEdit(edit)
      s.versions.apply(edit)
      s.counters.compactions++
      for (const f of all) s.counters.compactionBytesRead += f.size
      s.counters.compactionBytesWritten += result.bytesWritten
    } finally {
      for (const f of all) f.compacting = false
    }
  }

  /**
   * Queues a manual compaction of [lo, hi] and resolves once it has run level by level and the
   * space is given back (tables an iterator still reads excepted).
   * requires: the memtables were flushed first (compactRange does).
   */
  async compactRange(lo: Uint8Array | undefined, hi: Uint8Array | undefined, onProgress?: ProgressCallback): Promise<void> {
    this.s.throwIfFailed()
    // Progress counts the bytes of the tables in the range when the call began, each once, as the
    // steps compact them (tables a step wrote and a later one rewrites do not count again).
    const left = new Map<number, number>()
    if (onProgress) for (let l = 0; l < NUM_LEVELS; l++) for (const f of this.s.versions.current.overlapping(l, lo, hi)) left.set(f.fileNumber, f.size)
    const progress = progressReporter(onProgress, [...left.values()].reduce((a, b) => a + b, 0))
    const consumed = (tables: readonly FileMetadata[]): void => {
      for (const f of tables) {
        progress.advance(left.get(f.fileNumber) ?? 0)
        left.delete(f.fileNumber)
      }
    }
    await new Promise<void>((done, fail) => {
      this.manualCompactions.push({ lo, hi, level: 0, firstOutput: Infinity, consumed, done, fail })
      this.schedule()
    })
    await this.s.runner.removed()
    await this.s.flushRunner.removed()
    progress.finish()
  }

  /** Queues a drop for the compaction lane. requires: inside the write path's runExclusive. */
  queueDrop(d: PendingDrop): void {
    this.pendingDrops.push(d)
    this.schedule()
  }

  /** Records a drop in the manifest, deleting the tables it empties, and resolves its caller. */
  private async applyDrop(d: PendingDrop): Promise<void> {
    const s = this.s
    const edit = emptyEdit()
    edit.lastSeq = s.versions.lastSeq
    edit.droppedPrefixes = d.prefixes.map((prefix) => ({ prefix, seq: d.seq }))
    const discards = new Map<number, number>()
    const version = s.versions.current
    for (let level = 0; level < NUM_LEVELS; level++) {
      for (const f of version.levels[level]) {
        if (f.compacting || f.maxSeq > d.seq || !d.prefixes.some((p) => rangeWithinPrefix(p, f.smallestKey, f.largestKey))) continue
        edit.deletedTables.push({ level, fileNumber: f.fileNumber })
        // Their value-log pointers become garbage: count it, so value-log GC finds those files.
        await countPointerBytes(f, discards)
      }
    }
    edit.valueLogDiscards = discards
    await s.appendEdit(edit)
    s.versions.apply(edit)
    this.pendingDrops.shift()
    d.done()
  }

  /** One level of the oldest manual compaction; resolves it when no level is left. */
  private async manualCompactionStep(m: ManualCompaction): Promise<void> {
    const version = this.s.versions.current
    for (; m.level < NUM_LEVELS; m.level++) {
      const inputs = version.overlapping(m.level, m.lo, m.hi)
      if (inputs.length === 0) continue
      let below = false
      for (let l = m.level + 1; l < NUM_LEVELS; l++) if (version.levels[l].length > 0) below = true
      if ((!below && m.level > 0) || m.level === NUM_LEVELS - 1) {
        // The range's last level is rewritten in place, as LevelDB's CompactRange rewrites its
        // bottom level: otherwise the tombstones and expired entries there would stay forever.
        // Not when this call's previous step just wrote all of it (as bottommost output).
        const level = m.level
        m.level = NUM_LEVELS
        if (inputs.every((f) => f.fileNumber >= m.firstOutput)) continue
        const plan: CompactionPlan = {
          level, outputLevel: level, inputs, overlapping: [], trivialMove: false, bottommost: true, score: 0, grandparents: [],
        }
        await this.compact(plan)
        m.consumed(inputs)
        return
      }
      // Compactions run one at a time in this loop, so no table is busy and a plan always exists.
      const plan = planCompaction(version, m.level, inputs, 0, manualOutputLevel(version, m.level, this.pickerOptions()))!
      m.level = plan.outputLevel
      if (m.firstOutput === Infinity) m.firstOutput = this.s.versions.nextFileNumber
      await this.compact(plan)
      m.consumed([...plan.inputs, ...plan.overlapping])
      return
    }
    this.manualCompactions.shift()
    m.done()
  }
}

/** Adds the value-log bytes a table's pointers cover to `into` (file number → bytes). */
async function countPointerBytes(f: FileMetadata, into: Map<number, number>): Promise<void> {
  const it = f.reader!.iterator()
  let n = 0
  let last = performance.now()
  try {
    for (it.first(); it.valid(); it.next()) {
      if ((++n & 1023) === 0 && performance.now() - last >= YIELD_AFTER_MS) {
        await yieldToEventLoop()
        last = performance.now()
      }
      if (!isPointerKind(it.kind())) continue
      const p = decodePointer(entryPayload(it.kind(), it.value()))
      into.set(p.fileNumber, (into.get(p.fileNumber) ?? 0) + p.length)
    }
  } finally {
    it.close()
  }
}
