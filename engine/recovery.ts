// Recovery on open: read CURRENT and the manifest, open every live table, replay the live WALs
// into memtables, publish a fresh manifest, and remove leftovers of unfinished steps. Returns the
// state the DB runs from. The replayed memtables are not flushed here (RocksDB's
// avoid_flush_during_recovery): they come back as frozen memtables, one per WAL that holds
// records, and the flush lane writes them once the database is open; their WALs stay live (the
// new manifest's log number is the oldest of them) until each flush's edit is durable, as for any
// frozen memtable. Only when replay skipped damage (paranoid off) are they flushed here first: a
// damaged WAL left live would cut every later replay short at the same damage, newer writes
// included. Read-only (options.readOnly) stops after the replay: the WALs stay in memtables
// returned to the caller, and nothing is written.
//
// Rules: only the newest WAL that holds records may end in a torn tail (older ones were synced
// before the next was created; a later WAL with no records is one a crash left just after its
// create, by a rotation or by an earlier recovery); any other bad record is corruption, refused
// when `paranoid`, otherwise replay stops there — that WAL's later records and every later WAL
// are left out, so what is replayed is a prefix of the writes (RocksDB's point-in-time recovery)
// — and the damage is reported. Likewise the newest value-log file may end in a torn tail (never a
// whole one, version 3, which a flush synced before its edit listed it; one that no edit lists is a
// flush's leftover, removed with the others), and a
// newest-WAL record pointing past what survived of it is part of the torn tail (without sync the
// OS may have written the WAL's bytes but not the value log's; with sync the two fsyncs run at
// once, so the WAL's may finish first) unless a later record of that WAL claims it was synced:
// then the value log lost synced bytes, which is damage. What a torn tail is in each format
// version: wal/reader.ts, vlog/format.ts.
//
// Crash safety of recovery itself (open() is idempotent): while the WALs are replayed nothing is
// written but L0 tables no manifest names yet (leftovers if a crash comes). Then, in order: the
// newest WAL's torn tail is cut and that WAL synced, the newest value-log file cut, synced and
// sealed (what the tables point at is durable before they are published, even when a killed
// process left it only in the page cache), so a crash from here on finds the same prefix; the new
// WAL is created (an empty WAL, which never makes an older one "not the newest"); the new
// manifest is published through CURRENT; leftovers go. A crash before CURRENT names the new
// manifest replays the same WALs again; after it, the new manifest, its tables and the WALs it
// keeps live hold everything (and the next open replays those WALs as this one did).

import { CorruptionError, InvalidArgumentError, NotFoundError } from '../base/errors.js'
import { LOCK_FILE, filePath, manifestFileName, parseFileName, tableFileName, vlogFileName, walFileName } from '../base/filenames.js'
import type { FileSystem } from '../base/fs.js'
import { type FileMetadata, ManifestWriter, type VersionEdit, VersionSet, emptyEdit, readCurrent, recoverManifest } from '../manifest/index.js'
import { EntryColumns, Memtable } from '../memtable/index.js'
import { entryPayload, isPointerKind } from '../base/entry-value.js'
import { Kind } from '../base/internal-key.js'
import { type ValueLog, type ValuePointer, decodePointer, decodePointerInto } from '../vlog/index.js'
import { LogWriter, WAL_PREALLOCATE, claimedSynced, firstRecordIsWhole, readLog } from '../wal/index.js'
import type { ResolvedOptions } from './options.js'
import { decodeBatchEntries } from './write-batch.js'

export interface RecoveryReport {
  /** WAL files replayed and the entries they held. */
  walsReplayed: number
  entriesReplayed: number
  /**
   * Milliseconds spent replaying the WALs (reading, checking and decoding their records, building
   * the memtables); the rest of open() is the manifest, the tables, and the new files' fsyncs.
   */
  replayMs: number
  /** Where a torn tail of the newest WAL was cut, if one was. */
  tornTail?: { file: string; offset: number }
  /** Corruption skipped because `paranoid` was off, and the later WALs left out because of it. */
  skipped: { file: string; offset: number; message: string }[]
  /** Leftover files removed. */
  removed: string[]
  /** Where a torn tail of the newest value-log file was cut, if one was. */
  valueLogTornTail?: { file: string; offset: number }
}

/** A newest-WAL record whose values did not survive in the value log: the end of the replay. */
class ValueLogTail extends Error {
  constructor(readonly file: string, readonly offset: number) {
    super(`torn tail at ${file}:${offset}`)
  }
}

export interface RecoveredState {
  /** Undefined when read-only, like wal. */
  manifest: ManifestWriter | undefined
  wal: LogWriter | undefined
  walNumber: number
  report: RecoveryReport
  /**
   * The replayed WALs' entries, oldest memtable first, each with the WAL it came from (0 when
   * read-only, where memtables may span WALs); empty when they were flushed here.
   */
  memtables: { mem: Memtable; walNumber: number }[]
}

export interface RecoveryContext {
  fs: FileSystem
  dir: string
  options: ResolvedOptions
  versions: VersionSet
  /** Opens the reader of a table the version refers to (throws CorruptionError). */
  openTable(file: FileMetadata): void
  /** A new empty memtable (shared with the flush worker when there is one). */
  newMemtable(): Memtable
  /** Writes a memtable as L0 tables; returns what to add to the version and the garbage made. */
  /** ... and the whole value-log file of its inline large values, if it wrote one (not yet live). */
  flush(mem: Memtable): Promise<{ tables: FileMetadata[]; valueLogDiscards: Map<number, number>; mergeHorizon: number; wholeValueLog?: { fileNumber: number; size: number } }>
  valueLog: ValueLog
  /** Replay the WALs into memtables kept in memory (RecoveredState.memtables) and write nothing. */
  readOnly: boolean
}

export async function recover(ctx: RecoveryContext): Promise<RecoveredState> {
  const { fs, dir, options, versions } = ctx
  const report: RecoveryReport = { walsReplayed: 0, entriesReplayed: 0, replayMs: 0, skipped: [], removed: [] }
  const current = readCurrent(fs, dir)
  let manifestPath: string | undefined
  if (current === undefined) {
    if (!options.createIfMissing) throw new NotFoundError(`no database in ${dir} (createIfMissing is false)`)
  } else {
    if (options.errorIfExists) throw new InvalidArgumentError(`a database already exists in ${dir}`)
    // What is read here may be only in the page cache (a killed writer's last edit, not yet
    // synced), and replaying it removes the files its edits retired, a removal the next directory
    // sync makes durable: so the manifest is made durable first, or a power loss would leave it
    // naming files that are gone.
    const named = filePath(dir, manifestFileName(current))
    if (!ctx.readOnly && fs.exists(named)) await syncFile(fs, named)
    manifestPath = filePath(dir, manifestFileName(recoverManifest(fs, dir, versions)))
    versions.assumeMergedIfUnrecorded()
    const manifest = manifestPath
    // A file the manifest lists but the directory lacks: most likely the manifest lost its latest
    // edits (cut at rest; its last valid record looks like a crash's torn tail), the one that
    // retired the file among them. Blame the manifest, where the damage most likely is.
    const missing = (name: string): CorruptionError => new CorruptionError(manifest, fs.readFile(manifest).length,
      `lists ${name}, which is missing: the manifest may have lost its latest edits, or the file was deleted`)
    for (const n of versions.valueLogs.keys()) if (!fs.exists(filePath(dir, vlogFileName(n)))) throw missing(vlogFileName(n))
    for (const f of versions.current.allFiles()) if (!fs.exists(filePath(dir, tableFileName(f.fileNumber)))) throw missing(tableFileName(f.fileNumber))
    // The WAL the log number names always exists: it is created (and its name made durable)
    // before any edit names it, and deleted only after a later edit moves past it. Without this
    // check a manifest that lost a flush's edit would replay nothing and call the flushed table a
    // leftover: the flush's writes would vanish without a word.
    if (versions.logNumber > 0 && !fs.exists(filePath(dir, walFileName(versions.logNumber)))) throw missing(walFileName(versions.logNumber))
  }
  report.valueLogTornTail = await ctx.valueLog.recover([...versions.valueLogs.keys()])

  const names = fs.list(dir)
  const parsed = names.map((name) => ({ name, p: parseFileName(name) }))
  for (const { p } of parsed) if (p && p.number >= versions.nextFileNumber) versions.nextFileNumber = p.number + 1

  for (const f of versions.current.allFiles()) {
    const path = filePath(dir, tableFileName(f.fileNumber))
    if (!fs.exists(path)) throw new CorruptionError(path, 0, 'table listed in the manifest is missing')
    ctx.openTable(f)
  }

  const wals = parsed
    .filter(({ p }) => p?.kind === 'wal' && p.number >= versions.logNumber)
    .map(({ p }) => p!.number)
    .sort((a, b) => a - b)
  const edit: VersionEdit = emptyEdit()
  edit.valueLogDiscards = new Map()
  let mem = ctx.newMemtable()
  let maxSeq = versions.lastSeq
  const memtables: { mem: Memtable; walNumber: number }[] = []
  /** Ends the memtable being filled: kept (with the WAL it came from, 0 when read-only). */
  const keep = (walNumber: number): void => {
    if (mem.count === 0) return
    memtables.push({ mem, walNumber })
    mem = ctx.newMemtable()
  }
  // A WAL's checked entries, as offsets into the WAL's bytes (read whole by readLog), added to its
  // memtable together (Memtable.addColumns) once it is read: no object or view per entry.
  const replay = new EntryColumns()
  const pointer: ValuePointer = { fileNumber: 0, offset: 0, length: 0 }
  // Where replay of the newest WAL stopped short of its end, to be cut before anything is written.
  let cut: { file: string; offset: number } | undefined
  const replayStart = performance.now()
  const lastWithRecords = lastWalWithRecords(fs, wals.map((n) => filePath(dir, walFileName(n))))
  for (let i = 0; i < wals.length; i++) {
    const path = filePath(dir, walFileName(wals[i]))
    if (report.skipped.length > 0) {
      report.skipped.push({ file: path, offset: 0, message: 'not replayed: an earlier WAL is damaged, and replay keeps a prefix of the writes' })
      continue
    }
    const file = fs.openRead(path)
    const newest = i >= lastWithRecords
    try {
      const result = readLog(file, 'wal', { tolerateTornTail: newest }, (rec) => {
        // The record's entries go straight into the replay columns; a record that fails a check
        // is taken out of them again, whole.
        replay.src = rec.data
        const first = replay.count
        const base = rec.payloadOffset
        try {
          const last = decodeBatchEntries(rec.payload, path, rec.offset, (seq, kind, keyStart, keyEnd, valueStart, valueEnd) => {
            replay.push(seq, kind, base + keyStart, base + keyEnd, base + valueStart, base + valueEnd)
          }, (claim) => {
            // The record was written after this much of the value log was durable: a shorter file
            // lost synced bytes, which is damage, not a crash.
            const size = ctx.valueLog.sizes.get(claim.fileNumber)
            if (size !== undefined && size < claim.end) {
              throw new CorruptionError(ctx.valueLog.path(claim.fileNumber), size,
                `value-log file ends at ${size}, but ${path} at ${rec.offset} was written after ${claim.end} bytes of it were durable`)
            }
          })
          for (let e = first; e < replay.count; e++) {
            const kind = replay.kind(e)
            if (!isPointerKind(kind)) continue
            // A plain pointer is read in place in the WAL (no view, no object: a memtable of
            // pointers is ~460,000 of them); one behind a header needs the header parsed first.
            const p = kind === Kind.ValuePointer
              ? decodePointerInto(replay.src, replay.valueStart(e), replay.valueEnd(e), path, pointer)
              : decodePointer(entryPayload(kind, replay.value(e)), path)
            const size = ctx.valueLog.sizes.get(p.fileNumber)
            if (size === undefined) {
              // The file is there but unlisted: the manifest lost the edit that added it.
              const unlisted = filePath(dir, vlogFileName(p.fileNumber))
              if (manifestPath !== undefined && fs.exists(unlisted)) {
                throw new CorruptionError(manifestPath, fs.readFile(manifestPath).length,
                  `does not list ${vlogFileName(p.fileNumber)}, which exists and which ${path} at ${rec.offset} points into: the manifest may have lost its latest edits`)
              }
              throw new CorruptionError(path, rec.offset, `points into value-log file ${p.fileNumber}, which is not live`)
            }
            if (p.offset + p.length > size) {
              // A synced group's value-log and WAL fsyncs run at once, so the WAL record can reach
              // the disk without its values: a write never acknowledged, the end of the replay. But
              // a record that a later one claims as synced was acknowledged, values and all.
              if (!newest) throw new CorruptionError(path, rec.offset, 'points past the end of its value-log file')
              const vouched = claimedSynced(file, rec.offset)
              if (vouched === undefined) throw new ValueLogTail(path, rec.offset)
              throw new CorruptionError(ctx.valueLog.path(p.fileNumber), size,
                `value-log file ends at ${size}, but ${path} at ${rec.offset} points to ${p.offset + p.length} and the record at ${vouched} says it was synced`)
            }
          }
          report.entriesReplayed += replay.count - first
          if (last > maxSeq) maxSeq = last
        } catch (err) {
          replay.truncate(first)
          throw err
        }
      })
      if (result.tornTailAt !== undefined) report.tornTail = cut = { file: path, offset: result.tornTailAt }
    } catch (err) {
      if (err instanceof ValueLogTail) report.tornTail = cut = { file: err.file, offset: err.offset }
      else if (!(err instanceof CorruptionError) || options.paranoid) throw err
      else report.skipped.push({ file: err.file, offset: err.offset, message: err.message })
    } finally {
      file.close()
    }
    // What was replayed of this WAL (all of it, or the prefix before damage), in one sorted pass;
    // then the columns let go of the WAL's bytes, which the memtable has copied.
    mem.addColumns(replay)
    replay.reset(EMPTY_BYTES)
    report.walsReplayed++
    // A writer keeps one memtable per WAL, so that each flush retires exactly its own WAL.
    if (!ctx.readOnly) keep(wals[i])
    else if (mem.byteSize >= options.memtableSize) keep(0)
  }
  keep(0)
  report.replayMs = performance.now() - replayStart
  versions.lastSeq = Math.max(versions.lastSeq, maxSeq)
  // Read-only stops here: torn tails stay (reads never go past them), leftovers stay.
  if (ctx.readOnly) return { manifest: undefined, wal: undefined, walNumber: 0, report, memtables }
  if (report.skipped.length > 0) {
    // Damage was skipped: write the replayed prefix to tables now, so the damaged WAL is retired.
    for (const { mem: m } of memtables.splice(0)) {
      const { tables, valueLogDiscards, mergeHorizon, wholeValueLog } = await ctx.flush(m)
      for (const table of tables) edit.addedTables.push({ level: 0, table })
      if (wholeValueLog !== undefined) {
        // Live from the new manifest on; read through the tables only after open returns.
        ;(edit.addedWholeValueLogs ??= []).push(wholeValueLog.fileNumber)
        ctx.valueLog.addWholeFile(wholeValueLog.fileNumber, wholeValueLog.size)
      }
      edit.mergeHorizon = Math.max(edit.mergeHorizon ?? 0, mergeHorizon)
      for (const [n, bytes] of valueLogDiscards) edit.valueLogDiscards!.set(n, (edit.valueLogDiscards!.get(n) ?? 0) + bytes)
    }
  }
  if (cut !== undefined) {
    // Cut and synced before any new file exists: whatever recovery does next, a crash leaves
    // this WAL ending where replay ended, never with a tail that a later file makes "not newest".
    fs.truncate(cut.file, cut.offset)
    await syncFile(fs, cut.file)
  }
  await ctx.valueLog.sealNewest()

  const walNumber = versions.newFileNumber()
  const manifestNumber = versions.newFileNumber()
  // The new WAL's name is durable before the manifest that names it (see the log-number check).
  const wal = LogWriter.create(fs.create(filePath(dir, walFileName(walNumber)), { preallocate: WAL_PREALLOCATE }), 'wal')
  await wal.sync()
  await fs.syncDir(dir)
  // The oldest WAL whose memtable is kept stays live, and every later one (the new one included).
  const kept = new Set(memtables.map((m) => m.walNumber))
  edit.logNumber = memtables.length > 0 ? memtables[0].walNumber : walNumber
  versions.apply(edit)
  // With every replayed WAL in a table, the tables alone say which drops still matter; a kept
  // memtable may hold entries a drop hides, so then they all stay (a later open prunes them).
  if (memtables.length === 0) versions.pruneDrops()
  const manifest = await ManifestWriter.create(fs, dir, manifestNumber, versions.snapshotEdit())

  // The new manifest is durable: everything it does not name is a leftover.
  const live = new Set(versions.current.allFiles().map((f) => f.fileNumber))
  for (const { name, p } of parsed) {
    if (!p || p.kind === 'lock' || p.kind === 'current' || name === LOCK_FILE) continue
    const stale =
      (p.kind === 'manifest' && p.number !== manifestNumber) ||
      (p.kind === 'wal' && p.number < walNumber && !kept.has(p.number)) ||
      (p.kind === 'table' && !live.has(p.number)) ||
      (p.kind === 'vlog' && !versions.valueLogs.has(p.number)) ||
      p.kind === 'temp'
    if (stale) {
      fs.remove(filePath(dir, name))
      report.removed.push(name)
    }
  }

  await fs.syncDir(dir)
  return { manifest, wal, walNumber, report, memtables }
}

/**
 * The index in `paths` (WALs, oldest first) of the last one holding a record, or -1: the WALs from
 * there on are "the newest", whose torn tail is a crash's. A WAL after it holds no record: a crash
 * came right after its create (a memtable rotation, or a recovery that died before its manifest).
 */
export function lastWalWithRecords(fs: FileSystem, paths: string[]): number {
  for (let i = paths.length - 1; i >= 0; i--) if (walHasRecords(fs, paths[i])) return i
  return -1
}

/** True when the WAL at `path` holds at least one whole record. */
function walHasRecords(fs: FileSystem, path: string): boolean {
  let file
  try {
    file = fs.openRead(path)
  } catch {
    return false // deleted since the listing (verify reads a live directory): it holds nothing now
  }
  try {
    // The first whole record answers: the rest of a 45 MiB WAL need not be read twice.
    if (firstRecordIsWhole(file, 'wal')) return true
    readLog(file, 'wal', { tolerateTornTail: true }, () => {
      throw FOUND_RECORD
    })
  } catch {
    // FOUND_RECORD, or damage that hides records, which is judged when that WAL's own turn comes:
    // it still counts as holding them.
    return true
  } finally {
    file.close()
  }
  return false
}

const EMPTY_BYTES = new Uint8Array(0)

/** Thrown out of walHasRecords' reader at the first record. */
const FOUND_RECORD = new Error('found a record')

/** Makes a file's bytes durable, whoever wrote them. */
async function syncFile(fs: FileSystem, path: string): Promise<void> {
  const w = fs.openAppend(path)
  try {
    await w.sync()
  } finally {
    await w.close()
  }
}
