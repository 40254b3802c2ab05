// Versions: the immutable set of live tables per level at one moment, and the VersionSet that
// moves from one version to the next by applying edits.
//
// Lifetime rules: a Version is referenced by the VersionSet while current and by every reader
// (iterator, compaction) that started on it. A table's FileMetadata is referenced by each Version
// containing it; when the last such Version is released the table is obsolete and `onObsolete`
// runs (the engine closes and deletes the file). So a file leaves the disk only when unreferenced.
//
// Level order: L0 tables may overlap and are kept newest first (by file number, i.e. flush order);
// tables of L1 and below never overlap and are kept by smallest key.

import { assert } from '../base/assert.js'
import { type DroppedPrefix, addDrop, rangeMayHavePrefix } from '../base/dropped-prefixes.js'
import { CorruptionError } from '../base/errors.js'
import { compareBytes } from '../base/internal-key.js'
import type { TableReader } from '../sstable/index.js'
import { type TableMeta, type VersionEdit, emptyEdit } from './version-edit.js'

export const NUM_LEVELS = 7

export class FileMetadata implements TableMeta {
  readonly fileNumber: number
  readonly size: number
  readonly smallestKey: Uint8Array
  readonly largestKey: Uint8Array
  readonly minSeq: number
  readonly maxSeq: number
  readonly entryCount: number
  /** Versions that contain this table. */
  refs = 0
  /** The open reader, set by the engine's table cache. */
  reader: TableReader | undefined = undefined
  /** Set while a compaction has this table as an input, so the picker does not choose it twice. */
  compacting = false

  constructor(meta: TableMeta) {
    this.fileNumber = meta.fileNumber
    this.size = meta.size
    this.smallestKey = meta.smallestKey
    this.largestKey = meta.largestKey
    this.minSeq = meta.minSeq
    this.maxSeq = meta.maxSeq
    this.entryCount = meta.entryCount
  }

  /** True when this table's key range intersects [start, end] (bounds inclusive; undefined = open). */
  overlaps(start: Uint8Array | undefined, end: Uint8Array | undefined): boolean {
    if (start !== undefined && compareBytes(this.largestKey, start) < 0) return false
    if (end !== undefined && compareBytes(this.smallestKey, end) > 0) return false
    return true
  }
}

/**
 * L0 order is flush order, by file number: a table of entries that value-log GC relocated holds
 * only old sequence numbers, yet its copies must win over the originals in older tables.
 */
function newestFirst(a: FileMetadata, b: FileMetadata): number {
  return b.fileNumber - a.fileNumber
}

function bySmallestKey(a: FileMetadata, b: FileMetadata): number {
  return compareBytes(a.smallestKey, b.smallestKey)
}

export class Version {
  readonly levels: readonly FileMetadata[][]
  private refs = 0
  private readonly onObsolete: (file: FileMetadata) => void

  constructor(levels: FileMetadata[][], onObsolete: (file: FileMetadata) => void) {
    this.levels = levels
    this.onObsolete = onObsolete
    for (const level of levels) for (const f of level) f.refs++
  }

  ref(): this {
    this.refs++
    return this
  }

  unref(): void {
    assert(this.refs > 0, 'version released more often than referenced')
    if (--this.refs > 0) return
    for (const level of this.levels) {
      for (const f of level) if (--f.refs === 0) this.onObsolete(f)
    }
  }

  levelBytes(level: number): number {
    let n = 0
    for (const f of this.levels[level]) n += f.size
    return n
  }

  allFiles(): FileMetadata[] {
    return this.levels.flat()
  }

  /** Tables of `level` whose ranges intersect [start, end]. For L0, in newest-first order. */
  overlapping(level: number, start: Uint8Array | undefined, end: Uint8Array | undefined): FileMetadata[] {
    return this.levels[level].filter((f) => f.overlaps(start, end))
  }

  /** The one table of level >= 1 that may hold `userKey`, by binary search. */
  findTable(level: number, userKey: Uint8Array): FileMetadata | undefined {
    const files = this.levels[level]
    let lo = 0
    let hi = files.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (compareBytes(files[mid].largestKey, userKey) < 0) lo = mid + 1
      else hi = mid
    }
    if (lo < files.length && compareBytes(files[lo].smallestKey, userKey) <= 0) return files[lo]
    return undefined
  }
}

/** The current version plus the counters the manifest carries. */
export class VersionSet {
  current: Version
  nextFileNumber = 2
  lastSeq = 0
  /** WALs numbered below this are obsolete. */
  logNumber = 0
  /**
   * The highest seq of a deletion whose tombstone compaction dropped: an incremental backup from
   * an earlier sequence could miss that deletion (engine/backup.ts refuses one).
   */
  tombstoneHorizon = 0
  /**
   * The highest seq of a version a flush or compaction merged away under a newer one of its key:
   * the change feed replays every change only from here on (engine/change-feed.ts).
   */
  mergeHorizon = 0
  /** Whether some replayed edit carried the merge horizon (a manifest older than format 2 does not). */
  private mergeHorizonRecorded = false
  /** Live value-log files → bytes of garbage in each (discard statistics). */
  readonly valueLogs = new Map<number, number>()
  /** Which of valueLogs are whole files a flush wrote (version 3, manifest tag 12). */
  readonly wholeValueLogs = new Set<number>()
  /** dropPrefix()/dropAll() records still in force (see base/dropped-prefixes.ts). */
  droppedPrefixes: DroppedPrefix[] = []
  private readonly onObsolete: (file: FileMetadata) => void

  constructor(onObsolete: (file: FileMetadata) => void) {
    this.onObsolete = onObsolete
    this.current = new Version(
      Array.from({ length: NUM_LEVELS }, () => []),
      onObsolete,
    ).ref()
  }

  newFileNumber(): number {
    return this.nextFileNumber++
  }

  /**
   * Applies an edit and makes the result current. `where` names the manifest record for errors
   * when replaying (an edit that deletes a missing table means the manifest is damaged).
   */
  apply(edit: VersionEdit, where?: { file: string; offset: number }): Version {
    if (edit.logNumber !== undefined) this.logNumber = Math.max(this.logNumber, edit.logNumber)
    if (edit.nextFileNumber !== undefined) this.nextFileNumber = Math.max(this.nextFileNumber, edit.nextFileNumber)
    if (edit.lastSeq !== undefined) this.lastSeq = Math.max(this.lastSeq, edit.lastSeq)
    if (edit.tombstoneHorizon !== undefined) this.tombstoneHorizon = Math.max(this.tombstoneHorizon, edit.tombstoneHorizon)
    if (edit.mergeHorizon !== undefined) {
      this.mergeHorizon = Math.max(this.mergeHorizon, edit.mergeHorizon)
      this.mergeHorizonRecorded = true
    }
    for (const n of edit.addedValueLogs ?? []) {
      if (!this.valueLogs.has(n)) this.valueLogs.set(n, 0)
      this.nextFileNumber = Math.max(this.nextFileNumber, n + 1)
    }
    for (const n of edit.addedWholeValueLogs ?? []) {
      if (!this.valueLogs.has(n)) this.valueLogs.set(n, 0)
      this.wholeValueLogs.add(n)
      this.nextFileNumber = Math.max(this.nextFileNumber, n + 1)
    }
    for (const [n, bytes] of edit.valueLogDiscards ?? []) {
      if (this.valueLogs.has(n)) this.valueLogs.set(n, this.valueLogs.get(n)! + bytes)
    }
    for (const n of edit.deletedValueLogs ?? []) {
      this.valueLogs.delete(n)
      this.wholeValueLogs.delete(n)
    }
    for (const d of edit.droppedPrefixes ?? []) this.droppedPrefixes = addDrop(this.droppedPrefixes, d)
    const levels = this.current.levels.map((l) => l.slice())
    // A table an edit moves (deleted from one level, added to another) keeps its metadata
    // object, so its reference count never touches zero and its file is not deleted.
    const removed = new Map<number, FileMetadata>()
    for (const d of edit.deletedTables) {
      const files = levels[d.level]
      const i = files ? files.findIndex((f) => f.fileNumber === d.fileNumber) : -1
      if (i < 0) {
        const msg = `edit deletes table ${d.fileNumber} missing from level ${d.level}`
        if (where) throw new CorruptionError(where.file, where.offset, msg)
        throw new Error(msg)
      }
      removed.set(d.fileNumber, files[i])
      files.splice(i, 1)
    }
    for (const a of edit.addedTables) {
      if (a.level < 0 || a.level >= NUM_LEVELS) {
        throw new CorruptionError(where?.file ?? 'manifest', where?.offset ?? 0, `bad level ${a.level}`)
      }
      const moved = removed.get(a.table.fileNumber)
      levels[a.level].push(moved ?? (a.table instanceof FileMetadata ? a.table : new FileMetadata(a.table)))
      this.nextFileNumber = Math.max(this.nextFileNumber, a.table.fileNumber + 1)
    }
    levels[0].sort(newestFirst)
    for (let l = 1; l < NUM_LEVELS; l++) {
      levels[l].sort(bySmallestKey)
      for (let i = 1; i < levels[l].length; i++) {
        if (compareBytes(levels[l][i - 1].largestKey, levels[l][i].smallestKey) >= 0) {
          const msg = `tables ${levels[l][i - 1].fileNumber} and ${levels[l][i].fileNumber} overlap in level ${l}`
          throw new CorruptionError(where?.file ?? 'manifest', where?.offset ?? 0, msg)
        }
      }
    }
    const next = new Version(levels, this.onObsolete).ref()
    const prev = this.current
    this.current = next
    prev.unref()
    return next
  }

  /**
   * Forgets drops no table can still hold an entry for (no table whose keys may have the prefix
   * has an entry as old as the drop). Only for when every memtable has been flushed (recovery,
   * before it writes a new manifest): a memtable may hold covered entries too.
   */
  pruneDrops(): void {
    const tables = this.current.allFiles()
    this.droppedPrefixes = this.droppedPrefixes.filter((d) => {
      const inForce = tables.some((f) => f.minSeq <= d.seq && rangeMayHavePrefix(d.prefix, f.smallestKey, f.largestKey))
      // A forgotten drop is like a dropped tombstone: a backup or change feed from before it
      // could no longer tell that its keys went.
      if (!inForce) this.tombstoneHorizon = Math.max(this.tombstoneHorizon, d.seq)
      return inForce
    })
  }

  /**
   * After a manifest written before the merge horizon existed (format 1): any table may hold
   * merged history, so the horizon is taken as high as anything the manifest knows of.
   */
  assumeMergedIfUnrecorded(): void {
    if (this.mergeHorizonRecorded) return
    let seq = this.lastSeq
    for (const f of this.current.allFiles()) seq = Math.max(seq, f.maxSeq)
    this.mergeHorizon = Math.max(this.mergeHorizon, seq)
    this.mergeHorizonRecorded = true
  }

  /** The whole state as one edit: the first record of a new manifest. */
  snapshotEdit(): VersionEdit {
    const edit = emptyEdit()
    edit.logNumber = this.logNumber
    edit.nextFileNumber = this.nextFileNumber
    edit.lastSeq = this.lastSeq
    if (this.tombstoneHorizon > 0) edit.tombstoneHorizon = this.tombstoneHorizon
    // Always written, 0 included: its presence says the manifest is of format 2 or later.
    edit.mergeHorizon = this.mergeHorizon
    this.current.levels.forEach((files, level) => {
      for (const table of files) edit.addedTables.push({ level, table })
    })
    edit.addedValueLogs = [...this.valueLogs.keys()].filter((n) => !this.wholeValueLogs.has(n))
    if (this.wholeValueLogs.size > 0) edit.addedWholeValueLogs = [...this.wholeValueLogs]
    edit.valueLogDiscards = new Map([...this.valueLogs].filter(([, bytes]) => bytes > 0))
    if (this.droppedPrefixes.length > 0) edit.droppedPrefixes = this.droppedPrefixes.slice()
    return edit
  }
}
