// Read-only inspection of a database directory: what it holds (inspectDatabase) and whether
// every byte of every file still matches its checksum (verifyDatabase). The `sett info` and
// `sett verify` commands are thin layers over these two functions.
//
// Neither writes to the directory nor takes its LOCK: they only open files for reading, so they
// can look at a closed database, or at one a writer holds open. In the second case the result is
// a best effort — tables, value-log files and the manifest are immutable or append-only, but a
// writer may delete a file between the listing and the read, and the newest WAL and value-log
// file may end in a half-written record. lockHolder() tells the caller which case it is in.
//
// Unlike recovery (engine/recovery.ts), nothing here cuts a torn tail or removes a leftover: a
// torn tail of the newest WAL, value-log file or manifest is reported as a note, files that are
// not live as leftovers.

import { CorruptionError, NotFoundError } from '../base/errors.js'
import {
  CURRENT_FILE, KEY_REGISTRY_FILE, LOCK_FILE, LOST_DIR, filePath, manifestFileName, parseFileName, tableFileName, vlogFileName, walFileName,
} from '../base/filenames.js'
import type { FileSystem, ReadableFile } from '../base/fs.js'
import { entryPayload, isPointerKind } from '../base/entry-value.js'
import { RealFileSystem } from '../base/real-fs.js'
import { VersionSet, decodeVersionEdit, readCurrent } from '../manifest/index.js'
import { BlockCache, TableReader, type TableProperties } from '../sstable/index.js'
import {
  ENTRY_END, ENTRY_HEADER_SIZE, VLOG_FORMAT_MARKERS, VLOG_FORMAT_WHOLE, VLOG_HEADER_SIZE, checkWholeFile, allZeroFrom, checkFileHeader, claimPast, decodeEntry, decodePointer,
  entryLengthAt, findValidEntry,
} from '../vlog/index.js'
import { readLog } from '../wal/index.js'
import { fileSystemForReading } from './encryption.js'
import { decodeBatchRecord } from './write-batch.js'
import { type ProgressCallback, type ProgressReporter, progressReporter } from './progress.js'
import { lastWalWithRecords } from './recovery.js'

export interface InspectOptions {
  /** The file system; node:fs by default. */
  fs?: FileSystem
  /** The master key of an encrypted database (without it, one is refused with EncryptionKeyError). */
  encryptionKey?: Uint8Array | null
  /** verifyDatabase: called as files are checked, `done` of `total` files. */
  onProgress?: ProgressCallback
}

export interface TableInfo {
  fileNumber: number
  /** Bytes, as the manifest records them. */
  size: number
  smallestKey: Uint8Array
  largestKey: Uint8Array
  entryCount: number
  minSeq: number
  maxSeq: number
  /** From the table's properties block; undefined when the table could not be opened (see error). */
  properties?: TableProperties
  error?: string
}

export interface DatabaseInfo {
  dir: string
  manifestNumber: number
  /** The newest sequence number: the manifest's, or a higher one in the WALs not yet flushed. */
  lastSeq: number
  /** The sequence number the manifest records (data up to it is in tables). */
  manifestLastSeq: number
  nextFileNumber: number
  logNumber: number
  levels: { level: number; bytes: number; tables: TableInfo[] }[]
  /** `bytes`: up to the last entry (a preallocated zero tail is not counted). */
  /** `whole`: a whole file a flush wrote (version 3, manifest tag 12). */
  valueLogs: { number: number; bytes: number; discardBytes: number; discardRatio: number; whole: boolean }[]
  /** WALs not yet flushed to tables (number >= logNumber); `bytes`: up to the last record (a zero tail is not counted). */
  wals: { number: number; bytes: number }[]
  /** Files in the directory that are not live (recovery removes them on the next open). */
  leftovers: string[]
  /** Bytes of every live file: tables, value logs, WALs, the manifest (preallocated zero tails not counted). */
  totalBytes: number
  /**
   * An estimate of the user data: raw key and value bytes of every table entry (pointers count
   * as their few bytes) plus value-log bytes not counted as garbage. An upper bound: versions
   * and tombstones not yet compacted away count too, and the WALs' contents do not.
   */
  liveKeyValueBytes: number
  /** totalBytes / liveKeyValueBytes (0 for an empty database). */
  spaceAmplification: number
  /** The process holding the directory's LOCK, when one is alive. */
  lockedBy?: number
}

export interface VerifyProblem {
  file: string
  offset: number
  message: string
}

export interface VerifyResult {
  /** True when no problem was found (notes and leftovers do not count). */
  ok: boolean
  filesChecked: number
  problems: VerifyProblem[]
  /** Expected states that are not damage: a torn tail of the newest log, a locked directory. */
  notes: VerifyProblem[]
  leftovers: string[]
  lockedBy?: number
}

/**
 * The PID in the directory's LOCK when that process is alive, else undefined (no LOCK, an empty
 * one, as a clean close leaves it, or the PID of a writer that died, whose OS lock died with it).
 * Reads LOCK; never creates, changes or locks it, so it is a hint: a writer in another PID
 * namespace, or a dead writer's PID now reused, is misjudged (opening is what the lock decides).
 */
export function lockHolder(dir: string, options: InspectOptions = {}): number | undefined {
  const fs = options.fs ?? new RealFileSystem()
  const path = filePath(dir, LOCK_FILE)
  if (!fs.exists(path)) return undefined
  let pid: number
  try {
    pid = Number.parseInt(new TextDecoder().decode(fs.readFile(path)).trim(), 10)
  } catch {
    return undefined
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined
  try {
    process.kill(pid, 0)
    return pid
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined
  }
}

interface LoadedManifest {
  versions: VersionSet
  manifestNumber: number
  tornTailAt?: number
}

/** Replays a manifest into a VersionSet that owns no files (its onObsolete does nothing). */
export function loadManifest(fs: FileSystem, dir: string, number: number): LoadedManifest {
  const path = filePath(dir, manifestFileName(number))
  if (!fs.exists(path)) throw new CorruptionError(path, 0, 'CURRENT names a manifest that does not exist')
  const versions = new VersionSet(() => undefined)
  const file = fs.openRead(path)
  try {
    let records = 0
    const result = readLog(file, 'manifest', { tolerateTornTail: true }, (rec) => {
      if (rec.payload.length === 0) return // a commit record
      versions.apply(decodeVersionEdit(rec.payload, path, rec.offset), { file: path, offset: rec.offset })
      records++
    })
    if (records === 0) throw new CorruptionError(path, 0, 'manifest holds no snapshot record')
    return { versions, manifestNumber: number, tornTailAt: result.tornTailAt }
  } finally {
    file.close()
  }
}

/** The directory's names; NotFoundError when it is missing or holds no database. */
function listDatabase(fs: FileSystem, dir: string): string[] {
  const names = fs.list(dir)
  if (!names.includes(CURRENT_FILE)) throw new NotFoundError(`no database in ${dir} (no CURRENT file)`)
  return names
}

function fileSize(fs: FileSystem, path: string): number {
  const f = fs.openRead(path)
  try {
    return f.size
  } finally {
    f.close()
  }
}

/** Names in `names` that the loaded state does not use. */
function findLeftovers(names: string[], m: LoadedManifest): string[] {
  const v = m.versions
  const live = new Set(v.current.allFiles().map((f) => f.fileNumber))
  return names.filter((name) => {
    if (name === KEY_REGISTRY_FILE || name === LOST_DIR) return false
    const p = parseFileName(name)
    if (!p) return true
    switch (p.kind) {
      case 'lock':
      case 'current':
        return false
      case 'manifest':
        return p.number !== m.manifestNumber
      case 'wal':
        return p.number < v.logNumber
      case 'table':
        return !live.has(p.number)
      case 'vlog':
        return !v.valueLogs.has(p.number)
      case 'temp':
        return true
    }
  })
}

function liveWals(names: string[], logNumber: number): number[] {
  return names
    .map((name) => parseFileName(name))
    .filter((p) => p?.kind === 'wal' && p.number >= logNumber)
    .map((p) => p!.number)
    .sort((a, b) => a - b)
}

/** The highest sequence number in a WAL's good records (damage is verify's business: stop there). */
export function walLastSeq(fs: FileSystem, path: string, newest: boolean): number {
  return readWal(fs, path, newest).lastSeq
}

/**
 * walLastSeq's read, and the WAL's bytes: where its records end when the rest of the file is its
 * clean end (a live or crashed WAL's preallocated zero tail is not data), else the file's size.
 */
function readWal(fs: FileSystem, path: string, newest: boolean): { lastSeq: number; bytes: number } {
  let last = 0
  const file = fs.openRead(path)
  let bytes = file.size
  try {
    const r = readLog(file, 'wal', { tolerateTornTail: newest }, (rec) => {
      last = Math.max(last, decodeBatchRecord(rec.payload, path, rec.offset, () => undefined))
    })
    if (r.tornTailAt === undefined && r.validLength > 0) bytes = r.validLength
  } catch (err) {
    if (!(err instanceof CorruptionError)) throw err
  } finally {
    file.close()
  }
  return { lastSeq: last, bytes }
}

/**
 * The bytes of a value-log file not counting a preallocated zero tail (the active file's, or the
 * newest one's after a crash): where its entries end when all after them is zeros, else its size.
 * Walks entry headers only when the file ends in zeros (a closed file ends in a marker).
 */
function valueLogBytes(fs: FileSystem, path: string): number {
  const f = fs.openRead(path)
  try {
    const size = f.size
    if (size <= VLOG_HEADER_SIZE || f.read(size - 1, 1)[0] !== 0) return size
    let at = VLOG_HEADER_SIZE
    while (at + ENTRY_HEADER_SIZE <= size) {
      const head = f.read(at, ENTRY_HEADER_SIZE)
      if (head.every((b) => b === 0)) break
      at += entryLengthAt(head, 0)
    }
    if (at >= size || !allZeroFrom(f, at, size)) return size
    return at
  } finally {
    f.close()
  }
}

/**
 * Levels, tables, value-log files, WALs and sizes of the database in `dir`, read without the lock.
 * Throws NotFoundError when there is no database, CorruptionError when CURRENT or the manifest is
 * damaged. A table that cannot be opened is listed with `error` set.
 */
export function inspectDatabase(dir: string, options: InspectOptions = {}): DatabaseInfo {
  const fs = fileSystemForReading(dir, options.fs ?? new RealFileSystem(), options.encryptionKey)
  const names = listDatabase(fs, dir)
  const number = readCurrent(fs, dir)!
  const m = loadManifest(fs, dir, number)
  const v = m.versions
  const cache = new BlockCache(0)
  let totalBytes = fileSize(fs, filePath(dir, manifestFileName(number)))
  let liveKeyValueBytes = 0
  const levels: DatabaseInfo['levels'] = v.current.levels.map((files, level) => ({
    level,
    bytes: files.reduce((n, f) => n + f.size, 0),
    tables: files.map((f): TableInfo => {
      const info: TableInfo = {
        fileNumber: f.fileNumber, size: f.size, smallestKey: f.smallestKey, largestKey: f.largestKey,
        entryCount: f.entryCount, minSeq: f.minSeq, maxSeq: f.maxSeq,
      }
      try {
        const reader = TableReader.open(fs, filePath(dir, tableFileName(f.fileNumber)), f.fileNumber, cache)
        info.properties = reader.properties
        reader.close()
        liveKeyValueBytes += reader.properties.rawKeyBytes + reader.properties.rawValueBytes
      } catch (err) {
        info.error = err instanceof Error ? err.message : String(err)
      }
      totalBytes += f.size
      return info
    }),
  }))
  const valueLogs = [...v.valueLogs].sort((a, b) => a[0] - b[0]).map(([n, discardBytes]) => {
    const path = filePath(dir, vlogFileName(n))
    const bytes = fs.exists(path) ? valueLogBytes(fs, path) : 0
    totalBytes += bytes
    liveKeyValueBytes += Math.max(0, bytes - VLOG_HEADER_SIZE - discardBytes)
    return { number: n, bytes, discardBytes, discardRatio: bytes > 0 ? discardBytes / bytes : 0, whole: v.wholeValueLogs.has(n) }
  })
  const walNumbers = liveWals(names, v.logNumber)
  let lastSeq = v.lastSeq
  const wals = walNumbers.map((n, i) => {
    const read = readWal(fs, filePath(dir, walFileName(n)), i === walNumbers.length - 1)
    totalBytes += read.bytes
    lastSeq = Math.max(lastSeq, read.lastSeq)
    return { number: n, bytes: read.bytes }
  })
  return {
    dir,
    manifestNumber: number,
    lastSeq,
    manifestLastSeq: v.lastSeq,
    nextFileNumber: v.nextFileNumber,
    logNumber: v.logNumber,
    levels,
    valueLogs,
    wals,
    leftovers: findLeftovers(names, m),
    totalBytes,
    liveKeyValueBytes,
    spaceAmplification: liveKeyValueBytes > 0 ? totalBytes / liveKeyValueBytes : 0,
    lockedBy: lockHolder(dir, { fs }),
  }
}

// ---------------------------------------------------------------- verify

/** A CorruptionError's message without the "corruption in <file> at offset <n>: " that the fields repeat. */
function detail(err: CorruptionError): string {
  const prefix = `corruption in ${err.file} at offset ${err.offset}: `
  return err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message
}

export class Checker {
  readonly problems: VerifyProblem[] = []
  readonly notes: VerifyProblem[] = []
  filesChecked = 0

  constructor(readonly fs: FileSystem, readonly dir: string, private readonly progress?: ProgressReporter) {}

  /** Runs one file's check; a CorruptionError becomes a problem, anything else propagates. */
  check(path: string, fn: () => void): boolean {
    this.filesChecked++
    try {
      fn()
      return true
    } catch (err) {
      if (err instanceof CorruptionError) this.problems.push({ file: err.file, offset: err.offset, message: detail(err) })
      else if (err instanceof NotFoundError) this.problems.push({ file: path, offset: 0, message: `${path} is missing` })
      else throw err
      return false
    } finally {
      this.progress?.advance(1)
    }
  }

  table(path: string, number: number, expect?: { size: number; entryCount: number }): void {
    this.check(path, () => {
      const reader = TableReader.open(this.fs, path, number, new BlockCache(0))
      try {
        reader.verify()
        if (expect && reader.properties.fileSize !== expect.size) {
          throw new CorruptionError(path, 0, `table has ${reader.properties.fileSize} bytes, the manifest says ${expect.size}`)
        }
        if (expect && reader.properties.entryCount !== expect.entryCount) {
          throw new CorruptionError(path, 0, `table has ${reader.properties.entryCount} entries, the manifest says ${expect.entryCount}`)
        }
      } finally {
        reader.close()
      }
    })
  }

  /** A WAL: framing, batch payloads, and value pointers into `valueLogSizes` (when known). */
  wal(path: string, newest: boolean, valueLogSizes: Map<number, number> | undefined): void {
    this.check(path, () => {
      const file = this.fs.openRead(path)
      try {
        let pointerPastEnd: number | undefined
        const result = readLog(file, 'wal', { tolerateTornTail: newest }, (rec) => {
          decodeBatchRecord(rec.payload, path, rec.offset, (_seq, kind, _key, value) => {
            if (!isPointerKind(kind) || valueLogSizes === undefined) return
            const p = decodePointer(entryPayload(kind, value), path)
            const size = valueLogSizes.get(p.fileNumber)
            if (size === undefined) throw new CorruptionError(path, rec.offset, `points into value-log file ${p.fileNumber}, which is not live`)
            if (p.offset + p.length <= size) return
            // Recovery treats this as the end of the replay in the newest WAL (the value log's
            // tail was lost in a crash), and as corruption in any other.
            if (!newest) throw new CorruptionError(path, rec.offset, 'points past the end of its value-log file')
            pointerPastEnd ??= rec.offset
          })
        })
        if (result.tornTailAt !== undefined) {
          this.notes.push({ file: path, offset: result.tornTailAt, message: 'torn tail of the newest WAL (a crash mid-append); the next open cuts it' })
        }
        if (pointerPastEnd !== undefined) {
          this.notes.push({ file: path, offset: pointerPastEnd, message: 'records from here point past the end of the value log (lost in a crash); the next open stops its replay here' })
        }
      } finally {
        file.close()
      }
    })
  }

  /**
   * A value-log file; returns its size up to the last good entry. `newest`: the newest file that
   * is not a whole one (newestAppendable()), the only one that may end in a torn tail. A whole
   * file (version 3) must be whole, with its closing marker, whatever `newest` says.
   */
  valueLog(path: string, newest: boolean): number | undefined {
    let valid: number | undefined
    this.check(path, () => {
      const f = this.fs.openRead(path)
      try {
        const data = f.read(0, f.size)
        if (checkFileHeader(path, data) === VLOG_FORMAT_WHOLE) {
          checkWholeFile(path, data)
          valid = data.length
          return
        }
        const r = scanValueLog(path, data)
        if (r.badAt !== undefined) {
          // Only the newest file can end in a crash's torn tail. In version 1 a bad entry with a
          // whole valid entry after it is damage; in version 2 only when a durable marker after it
          // claims past it (the WAL's claims are checked by the open, not here).
          const v2 = r.version >= VLOG_FORMAT_MARKERS
          const resync = v2 ? -1 : findValidEntry(data, r.badAt + 1)
          const marker = v2 ? claimPast(data, r.badAt).marker : undefined
          if (!newest || resync >= 0 || marker !== undefined) {
            const why = marker !== undefined ? ` (the marker at ${marker.offset} says the file was synced through ${marker.claim})` : resync >= 0 ? ` (a valid entry follows at ${resync})` : ''
            throw new CorruptionError(path, r.badAt, `value-log entry is damaged${why}`)
          }
          this.notes.push({ file: path, offset: r.badAt, message: 'torn tail of the newest value-log file (a crash mid-append); the next open cuts it' })
        }
        valid = r.validLength
      } finally {
        f.close()
      }
    })
    return valid
  }
}

/**
 * The index in `versions` (valueLogVersion() of each value-log file, oldest first) of the newest
 * file that is not a whole one (version 3), or -1: the one file that may end in a crash's torn
 * tail. A file whose header does not read counts as appendable (its own check reports it).
 */
export function newestAppendable(versions: readonly (number | undefined)[]): number {
  for (let i = versions.length - 1; i >= 0; i--) if (versions[i] !== VLOG_FORMAT_WHOLE) return i
  return -1
}

/** The format version in a value-log file's header, or undefined when it cannot be read. */
export function valueLogVersion(fs: FileSystem, path: string): number | undefined {
  try {
    const f = fs.openRead(path)
    try {
      return checkFileHeader(path, f.read(0, VLOG_HEADER_SIZE))
    } finally {
      f.close()
    }
  } catch (err) {
    if (err instanceof CorruptionError || err instanceof NotFoundError) return undefined
    throw err
  }
}

/** Walks a value-log file's header and entries up to the first bad one (vlog/'s decoders); repair uses it too. */
export function scanValueLog(path: string, data: Uint8Array): { version: number; validLength: number; badAt?: number } {
  const version = checkFileHeader(path, data)
  let at = VLOG_HEADER_SIZE
  while (at < data.length) {
    const e = decodeEntry(data, at)
    if (typeof e !== 'number') {
      at += e.length
      continue
    }
    if (e === ENTRY_END && data.subarray(at).every((b) => b === 0)) return { version, validLength: at }
    return { version, validLength: at, badAt: at }
  }
  return { version, validLength: at }
}

/**
 * Checks every checksum of every file of the database in `dir`, without writing and without the
 * lock: CURRENT, the manifest (replayed), each live table (every block), each live WAL (every
 * record and batch), each live value-log file (every entry). Files the manifest does not name are
 * leftovers, not problems. When CURRENT or the manifest is unreadable, every table, WAL and
 * value-log file in the directory is checked on its own.
 * Throws NotFoundError when `dir` is missing or holds no database.
 */
export function verifyDatabase(dir: string, options: InspectOptions = {}): VerifyResult {
  const fs = fileSystemForReading(dir, options.fs ?? new RealFileSystem(), options.encryptionKey)
  const names = listDatabase(fs, dir)
  const files = names.filter((n) => ['table', 'vlog', 'wal'].includes(parseFileName(n)?.kind ?? '')).length + 2
  const progress = progressReporter(options.onProgress, files)
  const c = new Checker(fs, dir, progress)
  const lockedBy = lockHolder(dir, { fs })
  if (lockedBy !== undefined) {
    c.notes.push({ file: filePath(dir, LOCK_FILE), offset: 0, message: `the database is open in process ${lockedBy}: files may change while they are read` })
  }

  let manifestNumber: number | undefined
  c.check(filePath(dir, CURRENT_FILE), () => {
    manifestNumber = readCurrent(fs, dir)
  })
  if (manifestNumber === undefined) {
    const manifests = names.map((n) => parseFileName(n)).filter((p) => p?.kind === 'manifest').map((p) => p!.number)
    if (manifests.length > 0) {
      manifestNumber = Math.max(...manifests)
      c.notes.push({ file: filePath(dir, CURRENT_FILE), offset: 0, message: `CURRENT is unreadable; checking the newest manifest, ${manifestFileName(manifestNumber)}` })
    }
  }
  let m: LoadedManifest | undefined
  if (manifestNumber !== undefined) {
    const path = filePath(dir, manifestFileName(manifestNumber))
    c.check(path, () => {
      m = loadManifest(fs, dir, manifestNumber!)
    })
    if (m?.tornTailAt !== undefined) {
      c.notes.push({ file: path, offset: m.tornTailAt, message: 'torn tail of the manifest (an edit whose commit record never became durable); the next open ignores it' })
    }
  }

  if (m === undefined) {
    c.notes.push({ file: dir, offset: 0, message: 'the live set of files is unknown; every table, WAL and value-log file in the directory was checked on its own' })
    const parsed = names.map((n) => parseFileName(n)).filter((p) => p !== undefined)
    const byKind = (kind: string): number[] => parsed.filter((p) => p.kind === kind).map((p) => p.number).sort((a, b) => a - b)
    for (const n of byKind('table')) c.table(filePath(dir, tableFileName(n)), n)
    const vlogs = byKind('vlog').map((n) => filePath(dir, vlogFileName(n)))
    const newestVlog = newestAppendable(vlogs.map((path) => valueLogVersion(fs, path)))
    vlogs.forEach((path, i) => c.valueLog(path, i === newestVlog))
    const wals = byKind('wal')
    const newestAt = lastWalWithRecords(fs, wals.map((n) => filePath(dir, walFileName(n))))
    wals.forEach((n, i) => c.wal(filePath(dir, walFileName(n)), i >= newestAt, undefined))
    progress.finish()
    return { ok: c.problems.length === 0, filesChecked: c.filesChecked, problems: c.problems, notes: c.notes, leftovers: [], lockedBy }
  }

  const v = m.versions
  for (const f of v.current.allFiles()) c.table(filePath(dir, tableFileName(f.fileNumber)), f.fileNumber, f)
  const vlogs = [...v.valueLogs.keys()].sort((a, b) => a - b)
  const sizes = new Map<number, number>()
  const newestVlog = newestAppendable(vlogs.map((n) => valueLogVersion(fs, filePath(dir, vlogFileName(n)))))
  vlogs.forEach((n, i) => {
    const valid = c.valueLog(filePath(dir, vlogFileName(n)), i === newestVlog)
    if (valid !== undefined) sizes.set(n, valid)
  })
  // A WAL pointer can be checked only against value-log files that read cleanly.
  const allValueLogsRead = sizes.size === vlogs.length
  const wals = liveWals(names, v.logNumber)
  const newestAt = lastWalWithRecords(fs, wals.map((n) => filePath(dir, walFileName(n))))
  wals.forEach((n, i) => c.wal(filePath(dir, walFileName(n)), i >= newestAt, allValueLogsRead ? sizes : undefined))
  progress.finish()
  return {
    ok: c.problems.length === 0,
    filesChecked: c.filesChecked,
    problems: c.problems,
    notes: c.notes,
    leftovers: findLeftovers(names, m),
    lockedBy,
  }
}
