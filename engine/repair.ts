// repair(dir): rebuilds a database whose CURRENT, manifest or tables are damaged, in the manner of
// LevelDB's RepairDB (the design, not the code): survey every file by its checksums
// (engine/repair-survey.ts), rewrite what the tables still hold into new tables, write a new
// manifest naming them, the readable value-log files and the WALs still to replay, and put the
// old manifest, the old CURRENT and every damaged file aside in `lost/` inside the directory.
//
// The rewrite is one merge of every recovered table (newest file first, so of two copies of one
// entry, value-log GC's relocated copy wins, as in L0) into the last level; it drops nothing but
// such duplicate copies and what a dropPrefix the old manifest recorded covers, so every version
// and tombstone survives, and the tables cannot overlap or shadow each other wrongly whatever
// levels they came from. A damaged table gives up only its unreadable blocks
// (engine/salvage-iterator.ts); one whose footer, index or properties are unreadable is lost whole.
//
// Which tables count: when the old manifest reads to its end, those it lists (the others are
// leftovers of an unfinished step); otherwise every table in the directory, as RepairDB does.
// WALs: those from the old manifest's log number on; without a manifest that reads to its end,
// from the first WAL holding a sequence above every recovered table's, since flushes go in WAL
// order (a WAL of value-log GC relocations alone, which carry old sequences, is then counted as
// flushed: the manifest is the only record of it). A WAL that fails its checksums is set aside.
// Value-log files: those the manifest lists, or without a manifest that reads to its end every one
// in the directory, except a whole file (version 3, a flush's) that no manifest names and no used
// table points into: a flush's leftover, never resurrected (the next open removes it).
//
// Durability: new tables are written and synced and the directory synced (the compaction job),
// CURRENT's old bytes copied into lost/ and synced, then the new manifest and CURRENT published
// (write → fsync → rename → fsync dir, manifest/); only then are old files moved into lost/ or
// removed. A crash before the publish leaves the old state and some leftover tables; after it, a
// database that opens (files not yet moved are leftovers the next open removes). Takes the LOCK.

import { InvalidArgumentError, NotFoundError } from '../base/errors.js'
import {
  CURRENT_FILE, LOCK_FILE, LOST_DIR, filePath, manifestFileName, parseFileName, tableFileName, vlogFileName, walFileName,
} from '../base/filenames.js'
import type { FileSystem } from '../base/fs.js'
import { entryPayload, isPointerKind } from '../base/entry-value.js'
import type { InternalIterator } from '../base/internal-iterator.js'
import { MergingIterator } from '../base/merging-iterator.js'
import { RealFileSystem } from '../base/real-fs.js'
import { runCompactionJob } from '../compaction/index.js'
import { ManifestWriter, NUM_LEVELS, VersionSet, emptyEdit } from '../manifest/index.js'
import { DEFAULT_TABLE_WRITER_OPTIONS } from '../sstable/index.js'
import { decodePointer } from '../vlog/index.js'
import { fileSystemForReading } from './encryption.js'
import { type ProgressCallback, progressReporter } from './progress.js'
import {
  type SurveyedTable, fileNumbers, readCurrentState, readOldManifest, surveyTable, surveyValueLogs, surveyWals,
} from './repair-survey.js'
import { SalvagingTableIterator, type SkippedBlock } from './salvage-iterator.js'

export interface RepairOptions {
  /** The file system; node:fs by default. */
  fs?: FileSystem
  /** The master key of an encrypted database. */
  encryptionKey?: Uint8Array | null
  /** Size at which the rewritten tables are cut (bytes; default 8 MiB, as tableTargetSize). */
  tableTargetSize?: number
  /** Called as the work goes on: `done` of `total` units, done increasing, never past total. */
  onProgress?: ProgressCallback
}

export interface RepairReport {
  dir: string
  /** Where the old manifest, CURRENT and damaged files went. */
  lostDir: string
  current: { status: 'intact' | 'damaged' | 'missing'; message?: string }
  /** The old manifest repair read (undefined: none read at all). */
  oldManifest?: { number: number; status: 'intact' | 'damaged'; edits: number; damage?: string }
  newManifest: number
  tables: {
    /** Read whole. */
    intact: number[]
    /** Damaged: their readable blocks rewritten, the file moved to lost/. */
    salvaged: { number: number; blocksLost: number; entriesLost: number; damage: string }[]
    /** Unreadable (footer, index or properties): moved to lost/ whole. */
    lost: { number: number; damage: string }[]
    /** Present but not in the old manifest, which read to its end: leftovers, removed. */
    ignored: number[]
    /** The tables written. */
    written: number[]
  }
  /** Entries written into the new tables (every version, tombstones included). */
  entries: number
  /** Distinct user keys in the new tables (deleted ones too: their tombstones are kept). */
  keys: number
  /** The damaged blocks skipped. */
  skippedBlocks: SkippedBlock[]
  valueLogs: { kept: number[]; damaged: { number: number; offset: number; message: string }[]; lost: { number: number; message: string }[] }
  /** Table entries pointing into a value-log file that is lost or missing, or past its end: their values cannot be read. */
  danglingPointers: number
  wals: { replayed: number[]; flushed: number[]; lost: { number: number; message: string }[] }
  /** The last sequence the new manifest records: at or above every recovered entry's. */
  lastSeq: number
  /** Names moved into lost/ (with a suffix when the name was taken there). */
  movedToLost: string[]
  /** Things the operator should know (lost dropPrefix records, …). */
  notes: string[]
}

/** Wraps an iterator to watch every entry it yields (counts, pointer checks, progress). */
class Watched implements InternalIterator {
  constructor(private readonly it: InternalIterator, private readonly onEntry: (it: InternalIterator) => void) {}
  first(): void {
    this.it.first()
    if (this.it.valid()) this.onEntry(this.it)
  }
  next(): void {
    this.it.next()
    if (this.it.valid()) this.onEntry(this.it)
  }
  seekGE(userKey: Uint8Array, seq?: number): void {
    this.it.seekGE(userKey, seq)
  }
  seekLT(userKey: Uint8Array): void {
    this.it.seekLT(userKey)
  }
  last(): void {
    this.it.last()
  }
  prev(): void {
    this.it.prev()
  }
  valid(): boolean {
    return this.it.valid()
  }
  userKey(): Uint8Array {
    return this.it.userKey()
  }
  seq(): number {
    return this.it.seq()
  }
  kind(): number {
    return this.it.kind()
  }
  value(): Uint8Array {
    return this.it.value()
  }
  close(): void {
    this.it.close()
  }
}

/**
 * Repairs the database in `dir` (see the file's header) and reports what was recovered and what
 * was not. Throws NotFoundError when the directory holds no database files, LockError when it is
 * open, EncryptionKeyError for an encrypted one without its key.
 */
export async function repair(dir: string, options: RepairOptions = {}): Promise<RepairReport> {
  if (typeof dir !== 'string' || dir.length === 0) throw new InvalidArgumentError('dir must be a non-empty string')
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError('repair options must be an object')
  const inner = options.fs ?? new RealFileSystem()
  const names = inner.list(dir)
  const kinds = ['table', 'vlog', 'wal', 'manifest'] as const
  if (!names.includes(CURRENT_FILE) && kinds.every((k) => fileNumbers(names, k).length === 0)) {
    throw new NotFoundError(`no database in ${dir} (no CURRENT, manifest, table, value-log or WAL file)`)
  }
  const lock = inner.lock(filePath(dir, LOCK_FILE))
  try {
    return await repairLocked(dir, inner, fileSystemForReading(dir, inner, options.encryptionKey), names, options)
  } finally {
    lock.release()
  }
}

async function repairLocked(dir: string, inner: FileSystem, fs: FileSystem, names: string[], options: RepairOptions): Promise<RepairReport> {
  const lostDir = filePath(dir, LOST_DIR)
  const notes: string[] = []
  const current = readCurrentState(fs, dir)
  const old = readOldManifest(fs, dir, names, current)
  const trusted = old !== undefined && trustworthy(old.versions, old.status, names) ? old.versions : undefined
  if (old === undefined) notes.push('no manifest could be read: dropPrefix/dropAll records and value-log discard counts are lost (dropped keys may reappear)')
  else if (!trusted) notes.push(`${manifestFileName(old.number)} is damaged or lost its latest edits: every table and value-log file in the directory was used`)

  // Survey the tables (open + verify), the value logs and the WALs.
  const live = trusted ? new Set(trusted.current.allFiles().map((f) => f.fileNumber)) : undefined
  const present = fileNumbers(names, 'table')
  const ignored = live ? present.filter((n) => !live.has(n)) : []
  const used = live ? present.filter((n) => live.has(n)) : present
  const vlogNumbers = fileNumbers(names, 'vlog').filter((n) => trusted === undefined || trusted.valueLogs.has(n))
  const walNumbers = fileNumbers(names, 'wal')

  const tableBytes = used.reduce((n, t) => n + fileSizeOf(fs, filePath(dir, tableFileName(t))), 0)
  const progress = progressReporter(options.onProgress, 2 * tableBytes + 1)
  const tables: SurveyedTable[] = []
  for (const n of used) {
    const t = surveyTable(fs, dir, n)
    tables.push(t)
    progress.advance(t.bytes)
  }
  const vlogs = surveyValueLogs(fs, dir, vlogNumbers)
  const wals = surveyWals(fs, dir, walNumbers)

  // Merge every readable table, newest file first.
  const readable = tables.filter((t) => t.reader !== undefined).sort((a, b) => b.number - a.number)
  const skippedBlocks: SkippedBlock[] = []
  const salvaging = new Map<number, SalvagingTableIterator>()
  const children = readable.map((t) => {
    if (t.damage === undefined) return t.reader!.iterator()
    const it = new SalvagingTableIterator(t.reader!, (b) => skippedBlocks.push(b))
    salvaging.set(t.number, it)
    return it
  })
  const vlogEnds = new Map(vlogs.filter((v) => v.status !== 'lost').map((v) => [v.number, v.bytes]))
  // Whole value-log files (version 3) that no manifest names: a flush that crashed before its edit
  // left them, or one whose edit the damaged manifest lost. Only the second kind has a table that
  // points into it (the flush writes the file first), so one is kept only if a used table does.
  const unnamedWhole = new Set(vlogs.filter((v) => v.whole && !(old?.versions.valueLogs.has(v.number) ?? false)).map((v) => v.number))
  const pointedAt = new Set<number>()
  let entries = 0
  let keys = 0
  let maxSeq = 0
  let danglingPointers = 0
  let lastKey: Uint8Array | undefined
  const totalEntries = readable.reduce((n, t) => n + t.reader!.properties.entryCount, 0)
  const bytesPerEntry = totalEntries > 0 ? tableBytes / totalEntries : 0
  const input = new Watched(new MergingIterator(children), (it) => {
    entries++
    const key = it.userKey()
    if (lastKey === undefined || Buffer.compare(key, lastKey) !== 0) (keys++, (lastKey = key.slice()))
    if (it.seq() > maxSeq) maxSeq = it.seq()
    if (isPointerKind(it.kind())) {
      const p = decodePointer(entryPayload(it.kind(), it.value()))
      const end = vlogEnds.get(p.fileNumber)
      if (end === undefined || p.offset + p.length > end) danglingPointers++
      if (unnamedWhole.size > 0) pointedAt.add(p.fileNumber)
    }
    if ((entries & 1023) === 0) progress.advance(1024 * bytesPerEntry)
  })
  let nextFile = Math.max(old?.versions.nextFileNumber ?? 0, ...names.map((n) => { const p = parseFileName(n); return p && p.kind !== 'lock' ? p.number + 1 : 0 }), 2)
  let result
  try {
    result = await runCompactionJob(input, {
      fs, dir, newFileNumber: () => nextFile++, table: DEFAULT_TABLE_WRITER_OPTIONS,
      targetFileSize: options.tableTargetSize ?? 8 * 1024 * 1024,
      smallestSnapshot: 0, dropTombstones: false,
      retention: { now: 0, versionsToKeep: 1, droppedPrefixes: old?.versions.droppedPrefixes ?? [] },
    })
  } finally {
    input.close()
    for (const t of tables) t.reader?.close()
  }

  // WALs: which still need replaying, which are flushed, which are damaged.
  const lostWals = wals.filter((w) => w.damage !== undefined)
  let firstReplayed: number
  if (trusted) firstReplayed = trusted.logNumber
  else {
    const newer = wals.find((w) => w.damage === undefined && w.maxSeq > maxSeq)
    firstReplayed = Math.max(old?.versions.logNumber ?? 0, newer?.number ?? Number.POSITIVE_INFINITY)
  }
  const replayed = wals.filter((w) => w.damage === undefined && w.number >= firstReplayed)
  const flushed = wals.filter((w) => w.damage === undefined && w.number < firstReplayed)
  const lastSeq = Math.max(maxSeq, old?.versions.lastSeq ?? 0, ...replayed.map((w) => w.maxSeq))

  // The new manifest.
  const versions = new VersionSet(() => undefined)
  const edit = emptyEdit()
  edit.logNumber = replayed.length > 0 ? replayed[0].number : 0
  edit.lastSeq = lastSeq
  // Without a manifest to trust, which deletions compaction had already dropped is unknown: an
  // incremental backup from before the recovered data could miss them, so none is allowed.
  edit.tombstoneHorizon = trusted ? trusted.tombstoneHorizon : Math.max(old?.versions.tombstoneHorizon ?? 0, maxSeq)
  if (!trusted && maxSeq > 0) notes.push(`incremental backups must start from a full backup taken after this repair (tombstone horizon set to ${maxSeq})`)
  const leftOut = vlogs.filter((v) => v.status !== 'lost' && unnamedWhole.has(v.number) && !pointedAt.has(v.number))
  const keptVlogs = vlogs.filter((v) => v.status !== 'lost' && !leftOut.includes(v)).map((v) => v.number)
  const whole = new Set(vlogs.filter((v) => v.whole).map((v) => v.number))
  edit.addedValueLogs = keptVlogs.filter((n) => !whole.has(n))
  edit.addedWholeValueLogs = keptVlogs.filter((n) => whole.has(n))
  if (leftOut.length > 0) {
    notes.push(`left out ${leftOut.map((v) => vlogFileName(v.number)).join(', ')}: whole value-log files no manifest names and no table points into (a flush's leftovers; the next open removes them)`)
  }
  edit.valueLogDiscards = new Map(keptVlogs.map((n) => [n, (old?.versions.valueLogs.get(n) ?? 0) + (result.valueLogDiscards.get(n) ?? 0)]))
  edit.droppedPrefixes = old?.versions.droppedPrefixes.slice()
  for (const table of result.tables) edit.addedTables.push({ level: NUM_LEVELS - 1, table })
  const manifestNumber = nextFile++
  edit.nextFileNumber = nextFile
  versions.apply(edit)

  // Keep the old CURRENT's bytes, then publish; only then move the old files aside.
  inner.mkdir(lostDir)
  const moved: string[] = []
  if (names.includes(CURRENT_FILE)) {
    const target = freeName(inner, lostDir, CURRENT_FILE)
    const f = inner.create(filePath(lostDir, target))
    f.append(inner.readFile(filePath(dir, CURRENT_FILE)))
    await f.sync()
    await f.close()
    await inner.syncDir(lostDir)
    moved.push(target)
  }
  const manifest = await ManifestWriter.create(fs, dir, manifestNumber, versions.snapshotEdit())
  await manifest.close()
  const moveToLost = (name: string): void => {
    const target = freeName(inner, lostDir, name)
    inner.rename(filePath(dir, name), filePath(lostDir, target))
    moved.push(target)
  }
  for (const n of fileNumbers(names, 'manifest')) moveToLost(manifestFileName(n))
  for (const t of tables) {
    if (t.damage !== undefined) moveToLost(tableFileName(t.number))
    else inner.remove(filePath(dir, tableFileName(t.number)))
  }
  for (const n of ignored) inner.remove(filePath(dir, tableFileName(n)))
  for (const v of vlogs) if (v.status === 'lost') moveToLost(vlogFileName(v.number))
  for (const w of [...lostWals, ...flushed]) moveToLost(walFileName(w.number))
  await inner.syncDir(lostDir)
  await inner.syncDir(dir)
  progress.finish()

  if (skippedBlocks.length > 0 || tables.some((t) => t.reader === undefined)) {
    notes.push('entries of lost blocks and tables are gone: an older version of such a key, from another table, may read in its place')
  }
  if (danglingPointers > 0) notes.push(`${danglingPointers} entries point into value-log data that is lost: reading them fails with CorruptionError`)
  return {
    dir, lostDir,
    current: { status: current.status, message: current.message },
    oldManifest: old && { number: old.number, status: old.status, edits: old.edits, damage: old.damage },
    newManifest: manifestNumber,
    tables: {
      intact: tables.filter((t) => t.damage === undefined).map((t) => t.number),
      salvaged: tables.filter((t) => t.damage !== undefined && t.reader !== undefined).map((t) => {
        const it = salvaging.get(t.number)!
        return {
          number: t.number, damage: t.damage!,
          blocksLost: skippedBlocks.filter((b) => b.file === filePath(dir, tableFileName(t.number))).length,
          entriesLost: Math.max(0, t.reader!.properties.entryCount - it.entries),
        }
      }),
      lost: tables.filter((t) => t.reader === undefined).map((t) => ({ number: t.number, damage: t.damage! })),
      ignored,
      written: result.tables.map((t) => t.fileNumber),
    },
    entries: result.tables.reduce((n, t) => n + t.entryCount, 0),
    keys,
    skippedBlocks,
    valueLogs: {
      kept: keptVlogs,
      damaged: vlogs.filter((v) => v.status === 'damaged').map((v) => ({ number: v.number, ...v.damage! })),
      lost: vlogs.filter((v) => v.status === 'lost').map((v) => ({ number: v.number, message: v.damage!.message })),
    },
    danglingPointers,
    wals: {
      replayed: replayed.map((w) => w.number),
      flushed: flushed.map((w) => w.number),
      lost: lostWals.map((w) => ({ number: w.number, message: w.damage!.message })),
    },
    lastSeq,
    movedToLost: moved,
    notes,
  }
}

/**
 * Whether a manifest that read without error can be believed about the live set: a manifest cut
 * at an edit boundary reads as a clean older state, so it must also name only files that exist
 * and no table in the directory may be numbered past what it allocated. Doubt costs little (every
 * file is used, and copies of one entry are merged away); misplaced trust loses the newer tables.
 */
function trustworthy(v: VersionSet, status: 'intact' | 'damaged', names: string[]): boolean {
  if (status !== 'intact') return false
  const has = new Set(names)
  if (v.current.allFiles().some((f) => !has.has(tableFileName(f.fileNumber)))) return false
  if ([...v.valueLogs.keys()].some((n) => !has.has(vlogFileName(n)))) return false
  if (v.logNumber > 0 && !has.has(walFileName(v.logNumber))) return false
  return names.every((n) => {
    const p = parseFileName(n)
    // WALs and value-log files are created before an edit records the number they took.
    return p?.kind !== 'table' || p.number < v.nextFileNumber
  })
}

function fileSizeOf(fs: FileSystem, path: string): number {
  const f = fs.openRead(path)
  try {
    return f.size
  } finally {
    f.close()
  }
}

/** `name`, or `name.1`, `name.2`, … : the first not taken in `lostDir`. */
function freeName(fs: FileSystem, lostDir: string, name: string): string {
  if (!fs.exists(filePath(lostDir, name))) return name
  for (let i = 1; ; i++) if (!fs.exists(filePath(lostDir, `${name}.${i}`))) return `${name}.${i}`
}

