// Value-log maintenance: relocation of live entries out of a file being collected, retirement of
// collected files (deleted once no iterator open at retirement can follow a pointer into them),
// and automatic GC once a file's garbage passes `autoValueLogGC`. The choice of file and the scan
// live in engine/value-log-gc.ts; this room wires it to the engine and does the writes.
//
// Owns: the ValueLogGC instance, the retired-file list, the auto-GC flag. Touches in EngineState:
// the value log, `wal` and `mem` (relocation only, inside the writer queue's runExclusive), the
// manifest (value-log deletions only), `failure` (recorded on any failed write).
// Must never: insert into the memtable or append to the WAL outside runExclusive; delete a file an
// open iterator may still read; touch tables.

import type { LookupResult } from '../base/internal-iterator.js'
import { Kind } from '../base/internal-key.js'
import { replacePayload } from '../base/entry-value.js'
import { emptyEdit } from '../manifest/index.js'
import { encodePointer } from '../vlog/index.js'
import type { DBIterator } from './iterator.js'
import type { ReadPath } from './read-path.js'
import type { EngineState } from './state.js'
import { type RelocationCandidate, ValueLogGC, liveness } from './value-log-gc.js'
import { encodeRelocationRecord } from './write-batch.js'

/** What maintenance asks of the write path: its exclusive slot between write groups. */
export interface ExclusiveWrites {
  runExclusive<T>(step: () => Promise<T>): Promise<T>
  /** requires: inside runExclusive. */
  startValueLogFile(): Promise<void>
}

export class ValueLogMaintenance {
  readonly gc: ValueLogGC
  private readonly s: EngineState
  private readonly reads: ReadPath
  private readonly writes: ExclusiveWrites
  /** Retired value-log files, deleted once the iterators open at retirement have closed. */
  private readonly retired: { number: number; waitFor: Set<DBIterator<unknown>> }[] = []
  private autoGCPending = false

  constructor(s: EngineState, reads: ReadPath, writes: ExclusiveWrites, flush: () => Promise<void>) {
    this.s = s
    this.reads = reads
    this.writes = writes
    this.gc = new ValueLogGC({
      vlog: s.vlog,
      discards: () => s.versions.valueLogs,
      rotateValueLog: () => writes.runExclusive(async () => {
        try {
          await s.vlog.seal(true)
          await s.vlog.closeActive()
        } catch (err) {
          throw s.failure.fail(err)
        }
      }),
      flush,
      lookup: (key, seq) => reads.lookup(key, seq),
      isHidden: (key, r) => reads.isHidden(key, r),
      lastSeq: () => s.versions.lastSeq,
      snapshotSeqs: () => s.snapshots.seqs(),
      relocate: (entries) => writes.runExclusive(() => this.relocate(entries)),
      retire: (n) => this.retireValueLog(n),
    })
  }

  /**
   * Writes entries value-log GC moves: to the value log, then one WAL record carrying their
   * original sequence numbers, then the memtable. Runs between write groups.
   */
  private async relocate(candidates: RelocationCandidate[]): Promise<boolean> {
    const { s, reads } = this
    s.checkOpen()
    s.throwIfFailed()
    // Decided here, between write groups, so no write can land between this check and the insert.
    const ctx = {
      lookup: (k: Uint8Array, q: number) => reads.lookup(k, q), lastSeq: () => s.versions.lastSeq,
      snapshotSeqs: () => s.snapshots.seqs(), isHidden: (k: Uint8Array, r: LookupResult) => reads.isHidden(k, r),
    }
    const entries: RelocationCandidate[] = []
    for (const c of candidates) {
      const state = liveness(ctx, c, c.fileNumber, c.offset)
      if (state === 'pinned') return false
      if (state === 'newest') entries.push(c)
    }
    if (entries.length === 0) return true
    let bytes = 0
    for (const e of entries) bytes += e.key.length + e.value.length
    if (s.vlog.needsNewFile(bytes)) await this.writes.startValueLogFile()
    const pointers = s.vlog.append(entries).map(encodePointer)
    const relocations = entries.map((e, i) => {
      // A headered pointer keeps its expiry and metadata.
      const stored = reads.lookup(e.key, e.seq)!
      if (stored.kind !== Kind.ValuePointerWithHeader) return { key: e.key, seq: e.seq, kind: Kind.ValuePointer, pointer: pointers[i] }
      const pointer = replacePayload(stored.kind, stored.value, pointers[i])
      return { key: e.key, seq: e.seq, kind: Kind.ValuePointerWithHeader, pointer }
    })
    try {
      await s.vlog.sync()
      const record = encodeRelocationRecord(relocations)
      s.wal.append(record)
      await s.wal.sync()
    } catch (err) {
      throw s.failure.fail(err)
    }
    for (const r of relocations) s.mem.add(r.key, r.seq, r.kind, r.pointer)
    return true
  }

  /** Drops a collected value-log file from the manifest; deletes it when no iterator can reach it. */
  private async retireValueLog(number: number): Promise<void> {
    const edit = emptyEdit()
    edit.deletedValueLogs = [number]
    try {
      await this.s.appendEdit(edit)
    } catch (err) {
      throw this.s.failure.fail(err)
    }
    this.s.versions.apply(edit)
    this.retired.push({ number, waitFor: new Set(this.s.iterators) })
    this.deleteRetired()
  }

  /** An iterator closed: retired files it was the last to hold up are deleted. */
  iteratorClosed(it: DBIterator<unknown>): void {
    if (this.retired.length > 0) this.deleteRetired(it)
  }

  private deleteRetired(closed?: DBIterator<unknown>): void {
    for (let i = this.retired.length - 1; i >= 0; i--) {
      const r = this.retired[i]
      if (closed) r.waitFor.delete(closed)
      if (r.waitFor.size > 0 || this.s.lifecycle === 'closed') continue
      this.retired.splice(i, 1)
      try {
        this.s.vlog.remove(r.number)
      } catch {
        // Not in the manifest any more: the next open removes it as a leftover.
      }
    }
  }

  /** Starts a background GC when automatic GC is on and a file has passed its ratio. */
  maybeAutoGC(): void {
    const s = this.s
    const ratio = s.options.autoValueLogGC
    if (ratio === 0 || this.autoGCPending || s.lifecycle !== 'open') return
    const ready = [...s.versions.valueLogs].some(([n, discard]) => discard >= ratio * (s.vlog.sizes.get(n) ?? Infinity))
    if (!ready) return
    this.autoGCPending = true
    setImmediate(() => {
      const loop = async (): Promise<void> => {
        while (s.lifecycle === 'open' && (await this.gc.run(ratio)).fileNumber !== undefined);
      }
      loop().catch(() => undefined).finally(() => (this.autoGCPending = false))
    })
  }
}
