// Value-log garbage collection: gives back the space of overwritten and deleted large values.
//
// One call rewrites at most one file (BadgerDB's contract): pick the non-active file with the
// most garbage by discard statistics, confirm by reading it whole which entries the LSM still
// needs, move those to the active file under their original key and sequence number, make that
// durable, drop the file from the manifest, and delete it once no open iterator can still follow
// a pointer into it.
//
// Only a key's newest version is ever moved, and whether it still is the newest is decided again
// inside the writer queue, as the copy is inserted: reads stop at the first source (memtable,
// then tables) that has any version of a key, so a moved copy of an older version would hide a
// newer one that sits in an older source. An older version that a live snapshot still sees pins
// the file: this call leaves it for later.
//
// The copy keeps the original sequence number: it is the same version, so snapshots see it as
// before; and at equal (key, seq) the newer source wins everywhere (memtable before tables, L0 by
// file number, compaction keeps the first copy), so reads stop following the old pointer at once.

import { InvalidArgumentError } from '../base/errors.js'
import type { LookupResult } from '../base/internal-iterator.js'
import { entryPayload, isPointerKind } from '../base/entry-value.js'
import { type DecodedEntry, type ValueLog, decodePointer } from '../vlog/index.js'

export interface GCContext {
  vlog: ValueLog
  /** Live value-log files → discard bytes. */
  discards(): ReadonlyMap<number, number>
  /** Closes the active value-log file between write groups, so the next write starts another. */
  rotateValueLog(): Promise<void>
  /** Flushes the memtable, so no entry to move still sits beside its moved copy. */
  flush(): Promise<void>
  /** The newest version of `key` at `seq` across memtables and tables. */
  lookup(key: Uint8Array, seq: number): LookupResult | undefined
  /** Whether a found version reads as absent to everyone: deleted, expired or dropped. */
  isHidden(key: Uint8Array, r: LookupResult): boolean
  lastSeq(): number
  /** Sequence numbers of live snapshots. */
  snapshotSeqs(): number[]
  /**
   * Writes moved entries through the writer queue (value log, WAL, memtable), each only if it is
   * still its key's newest version; the rest are skipped as garbage. Resolves false, writing
   * nothing, when one of them is an older version a live snapshot still sees.
   */
  relocate(entries: RelocationCandidate[]): Promise<boolean>
  /** Removes the file from the manifest, then deletes it once no reader can reach it. */
  retire(fileNumber: number): Promise<void>
}

export interface RelocationCandidate {
  key: Uint8Array
  seq: number
  value: Uint8Array
  /** Where the entry is now, so the final check can tell it still is the version the LSM holds. */
  fileNumber: number
  offset: number
}

export interface GCResult {
  /** The file rewritten and removed, if any. */
  fileNumber?: number
  entries: number
  liveEntries: number
  bytesReclaimed: number
}

const RELOCATE_BATCH_BYTES = 4 * 1024 * 1024

export class ValueLogGC {
  private readonly ctx: GCContext
  private running: Promise<unknown> = Promise.resolve()
  runs = 0
  filesCollected = 0
  bytesReclaimed = 0

  constructor(ctx: GCContext) {
    this.ctx = ctx
  }

  /** Queues one GC step after any running one (one at a time); see collectOne. */
  run(discardRatio: number): Promise<GCResult> {
    if (typeof discardRatio !== 'number' || !(discardRatio > 0 && discardRatio < 1)) {
      return Promise.reject(new InvalidArgumentError('discardRatio must be a number between 0 and 1 (exclusive)'))
    }
    const step = this.running.then(() => this.collectOne(discardRatio))
    this.running = step.catch(() => undefined)
    return step
  }

  private async collectOne(discardRatio: number): Promise<GCResult> {
    const { vlog } = this.ctx
    this.runs++
    const none: GCResult = { entries: 0, liveEntries: 0, bytesReclaimed: 0 }
    const ratio = (n: number) => (this.ctx.discards().get(n) ?? 0) / Math.max(1, vlog.sizes.get(n) ?? 1)
    let best: number | undefined
    for (const n of this.ctx.discards().keys()) {
      if (n !== vlog.activeNumber && (best === undefined || ratio(n) > ratio(best))) best = n
    }
    const active = vlog.activeNumber
    if ((best === undefined || ratio(best) < discardRatio) && active !== undefined && ratio(active) >= discardRatio) {
      // Garbage in the active file would be stuck there: close it so it can be collected.
      await this.ctx.rotateValueLog()
      best = active
    }
    if (best === undefined || ratio(best) < discardRatio) return none
    // Every entry of the file was written before its rotation; after this flush they are all in
    // tables, so a moved copy never meets its original in one memtable.
    await this.ctx.flush()

    const live: RelocationCandidate[] = []
    let entries = 0
    let liveBytes = 0
    let pinned = false
    vlog.scan(best, (e, offset) => {
      entries++
      const state = liveness(this.ctx, e, best!, offset)
      if (state === 'pinned') pinned = true
      if (state === 'newest') {
        live.push({ key: e.key.slice(), seq: e.seq, value: e.value.slice(), fileNumber: best!, offset })
        liveBytes += e.length
      }
    })
    const size = vlog.sizes.get(best) ?? 0
    // Discard statistics are an estimate; the scan is the truth.
    if (pinned || (size > 0 && 1 - liveBytes / size < discardRatio)) return { entries, liveEntries: live.length, bytesReclaimed: 0 }

    let batch: RelocationCandidate[] = []
    let batchBytes = 0
    for (let i = 0; i < live.length; i++) {
      batch.push(live[i])
      batchBytes += live[i].key.length + live[i].value.length
      if (batchBytes >= RELOCATE_BATCH_BYTES || i === live.length - 1) {
        // Copies already written are valid newest versions; the file just stays for now.
        if (!(await this.ctx.relocate(batch))) return { entries, liveEntries: live.length, bytesReclaimed: 0 }
        batch = []
        batchBytes = 0
      }
    }
    // The moved copies go into a table before the old file leaves the manifest: then they no
    // longer depend on a WAL record, and damage to the WAL's tail (read as a crash) cannot take
    // them away after the old file is gone.
    await this.ctx.flush()
    await this.ctx.retire(best)
    this.filesCollected++
    this.bytesReclaimed += size - liveBytes
    return { fileNumber: best, entries, liveEntries: live.length, bytesReclaimed: size - liveBytes }
  }
}

/**
 * What an entry of a value-log file is to the LSM: the newest version of its key; an older
 * version some live snapshot still sees (it pins the file); or garbage.
 */
export function liveness(
  ctx: Pick<GCContext, 'lookup' | 'isHidden' | 'lastSeq' | 'snapshotSeqs'>,
  e: { key: Uint8Array; seq: number },
  file: number,
  offset: number,
): 'newest' | 'pinned' | 'garbage' {
  const stored = ctx.lookup(e.key, e.seq)
  if (!pointsAt(stored, e.seq, file, offset)) return 'garbage'
  // Expired or dropped: no reader, snapshot or not, can see it any more.
  if (ctx.isHidden(e.key, stored!)) return 'garbage'
  const newest = ctx.lookup(e.key, ctx.lastSeq())
  if (newest !== undefined && newest.seq === e.seq) return 'newest'
  const next = newest === undefined ? Infinity : newest.seq
  return ctx.snapshotSeqs().some((s) => s >= e.seq && s < next) ? 'pinned' : 'garbage'
}

function pointsAt(r: LookupResult | undefined, seq: number, file: number, offset: number): boolean {
  if (r === undefined || r.seq !== seq || !isPointerKind(r.kind)) return false
  const p = decodePointer(entryPayload(r.kind, r.value))
  return p.fileNumber === file && p.offset === offset
}
