// Value-log garbage collection: gives back the space of overwritten and deleted large values.
//
// One call rewrites at most one file (BadgerDB's contract): take the non-active file with the
// most garbage by discard statistics (the next best if a kept version pins it, up to three),
// then, as BadgerDB does, sample the start of the file (a
// tenth of it, at most SAMPLE_ENTRIES entries) and give up early if the sample is mostly live;
// then walk the whole file once holding nothing, to learn exactly what is live and whether
// anything pins the file; only then rewrite: walk it again in batches of at most
// RELOCATE_BATCH_BYTES of live values, each moved to the active file under its original key and
// sequence number, made durable, and let go before the next batch is read. So GC holds at most
// one batch plus one entry, never the file's live values (4 MiB + one value at defaults). Last,
// drop the file from the manifest and delete it once no open iterator can still follow a
// pointer into it.
//
// Only a key's newest version is ever moved, and whether it still is the newest is decided again
// inside the writer queue, as the copy is inserted: reads stop at the first source (memtable,
// then tables) that has any version of a key, so a moved copy of an older version would hide a
// newer one that sits in an older source. So an older version the LSM still holds pins the file:
// it is there because numVersionsToKeep keeps it, or a snapshot sees it, or no compaction has
// merged it away yet, and allVersions iterators and snapshots can reach it. This call leaves
// such a file for later (compaction's discard statistics count a version only once it is gone
// from the LSM, so files become candidates as their old versions are compacted away).
//
// The copy keeps the original sequence number: it is the same version, so snapshots see it as
// before; and at equal (key, seq) the newer source wins everywhere (memtable before tables, L0 by
// file number, compaction keeps the first copy, iterators show the first copy only), so reads
// stop following the old pointer at once.

import { InvalidArgumentError } from '../base/errors.js'
import type { LookupResult } from '../base/internal-iterator.js'
import { entryPayload, isPointerKind } from '../base/entry-value.js'
import { type ValueLog, VLOG_HEADER_SIZE, decodePointer } from '../vlog/index.js'

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
  /** The most bytes of entries GC held in memory at once during this call. */
  peakHeldBytes: number
  /** Why a candidate file was left: its sample or its full walk was mostly live, or a version pinned it. */
  skipped?: 'sample' | 'live' | 'pinned'
}

export const RELOCATE_BATCH_BYTES = 4 * 1024 * 1024
const SAMPLE_FRACTION = 0.1
const SAMPLE_ENTRIES = 10_000
/** Candidate files one call looks at before it gives up. */
const MAX_CANDIDATES = 3

export class ValueLogGC {
  private readonly ctx: GCContext
  private running: Promise<unknown> = Promise.resolve()
  runs = 0
  filesCollected = 0
  bytesReclaimed = 0
  /** The most bytes any call held at once (GCResult.peakHeldBytes, over all calls). */
  peakHeldBytes = 0

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
    const none: GCResult = { entries: 0, liveEntries: 0, bytesReclaimed: 0, peakHeldBytes: 0 }
    const ratio = (n: number) => (this.ctx.discards().get(n) ?? 0) / Math.max(1, vlog.sizes.get(n) ?? 1)
    const candidates = [...this.ctx.discards().keys()]
      .filter((n) => n !== vlog.activeNumber && ratio(n) >= discardRatio)
      .sort((a, b) => ratio(b) - ratio(a))
    const active = vlog.activeNumber
    if (candidates.length === 0 && active !== undefined && ratio(active) >= discardRatio) {
      // Garbage in the active file would be stuck there: close it so it can be collected.
      await this.ctx.rotateValueLog()
      candidates.push(active)
    }
    if (candidates.length === 0) return none
    // Every entry of these files was written before their rotation; after this flush they are all
    // in tables, so a moved copy never meets its original in one memtable.
    await this.ctx.flush()
    // A file a kept version pins is passed over for the next best, a few at most per call.
    let last = none
    for (const file of candidates.slice(0, MAX_CANDIDATES)) {
      last = await this.collectFile(file, discardRatio)
      if (last.fileNumber !== undefined) break
    }
    return last
  }

  private async collectFile(file: number, discardRatio: number): Promise<GCResult> {
    const { vlog } = this.ctx
    const size = vlog.sizes.get(file) ?? 0
    const state = (e: { key: Uint8Array; seq: number }, offset: number) => liveness(this.ctx, e, file, offset)
    let peak = 0
    const held = (bytes: number) => {
      if (bytes > peak) peak = bytes
    }

    // A sample first: discard statistics are an estimate, and a full walk costs a read of the file.
    let sampled = 0
    let sampledBytes = 0
    let sampledLive = 0
    let pinned = false
    vlog.scanFrom(file, VLOG_HEADER_SIZE, (e, offset) => {
      held(e.length)
      const s = state(e, offset)
      if (s === 'pinned') pinned = true
      if (s === 'newest') sampledLive += e.length
      sampledBytes += e.length
      return !pinned && ++sampled < SAMPLE_ENTRIES && sampledBytes < size * SAMPLE_FRACTION
    })
    const result = (skipped: GCResult['skipped'], entries = sampled, liveEntries = 0): GCResult => {
      this.peakHeldBytes = Math.max(this.peakHeldBytes, peak)
      return { entries, liveEntries, bytesReclaimed: 0, peakHeldBytes: peak, skipped }
    }
    if (pinned) return result('pinned')
    if (sampledBytes > 0 && 1 - sampledLive / sampledBytes < discardRatio) return result('sample')

    // The whole file, holding nothing: exactly what is live, and whether anything pins it.
    let entries = 0
    let liveEntries = 0
    let liveBytes = 0
    vlog.scanFrom(file, VLOG_HEADER_SIZE, (e, offset) => {
      held(e.length)
      entries++
      const s = state(e, offset)
      if (s === 'pinned') pinned = true
      if (s === 'newest') (liveEntries++, (liveBytes += e.length))
      return !pinned
    })
    if (pinned) return result('pinned', entries, liveEntries)
    if (size > 0 && 1 - liveBytes / size < discardRatio) return result('live', entries, liveEntries)

    // The rewrite, one bounded batch at a time.
    let at = VLOG_HEADER_SIZE
    while (at < size) {
      const batch: RelocationCandidate[] = []
      let batchBytes = 0
      at = vlog.scanFrom(file, at, (e, offset) => {
        held(batchBytes + e.length)
        if (state(e, offset) === 'newest') {
          batch.push({ key: e.key.slice(), seq: e.seq, value: e.value.slice(), fileNumber: file, offset })
          batchBytes += e.key.length + e.value.length
        }
        return batchBytes < RELOCATE_BATCH_BYTES
      })
      // Copies already written are valid newest versions; the file just stays for now.
      if (batch.length > 0 && !(await this.ctx.relocate(batch))) return result('pinned', entries, liveEntries)
    }
    // The moved copies go into a table before the old file leaves the manifest: then they no
    // longer depend on a WAL record, and damage to the WAL's tail (read as a crash) cannot take
    // them away after the old file is gone.
    await this.ctx.flush()
    await this.ctx.retire(file)
    this.filesCollected++
    this.bytesReclaimed += size - liveBytes
    this.peakHeldBytes = Math.max(this.peakHeldBytes, peak)
    return { fileNumber: file, entries, liveEntries, bytesReclaimed: size - liveBytes, peakHeldBytes: peak }
  }
}

/**
 * What an entry of a value-log file is to the LSM: the newest version of its key; an older
 * version the LSM still holds (it pins the file); or garbage (gone from the LSM, or hidden to
 * every reader: expired or dropped).
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
  // An older version the LSM still holds: numVersionsToKeep, a snapshot, or an allVersions
  // iterator may read it until a compaction drops it (which counts it in the discard statistics).
  return 'pinned'
}

function pointsAt(r: LookupResult | undefined, seq: number, file: number, offset: number): boolean {
  if (r === undefined || r.seq !== seq || !isPointerKind(r.kind)) return false
  const p = decodePointer(entryPayload(r.kind, r.value))
  return p.fileNumber === file && p.offset === offset
}
