// What repair (engine/repair.ts) finds before it writes anything: the newest manifest that still
// reads (whole or up to its damage), each table, value-log file and WAL checked by its
// checksums. Reads only; never writes, moves or removes a file.
//
// The checks are the ones `sett verify` runs (engine/inspect.ts's Checker), so repair calls
// damaged exactly what verify reports.

import { CorruptionError, NotFoundError } from '../base/errors.js'
import { filePath, manifestFileName, parseFileName, tableFileName, vlogFileName, walFileName } from '../base/filenames.js'
import type { FileSystem } from '../base/fs.js'
import { VersionSet, decodeVersionEdit, readCurrent } from '../manifest/index.js'
import { BlockCache, TableReader } from '../sstable/index.js'
import { VLOG_FORMAT_WHOLE, VLOG_HEADER_SIZE } from '../vlog/index.js'
import { readLog } from '../wal/index.js'
import { Checker, newestAppendable, valueLogVersion, walLastSeq } from './inspect.js'
import { lastWalWithRecords } from './recovery.js'

/** The old manifest as far as it reads. */
export interface OldManifest {
  number: number
  /** 'intact': read to its end; 'damaged': read up to `damage`, whose edits after it are lost. */
  status: 'intact' | 'damaged'
  /** Edits replayed (the snapshot record included). */
  edits: number
  damage?: string
  versions: VersionSet
}

export interface SurveyedTable {
  number: number
  bytes: number
  /** Open (its footer, index and properties read); undefined when even that failed. */
  reader?: TableReader
  /** Why the table is damaged (verify failed) or unreadable (open failed); undefined when intact. */
  damage?: string
}

export interface SurveyedValueLog {
  number: number
  bytes: number
  /** 'lost': the header is unreadable; 'damaged': an entry in it is (values after it still read). */
  status: 'intact' | 'damaged' | 'lost'
  /** A whole file a flush wrote (version 3): never torn, live only once an edit names it. */
  whole: boolean
  damage?: { offset: number; message: string }
}

export interface SurveyedWal {
  number: number
  bytes: number
  /** The highest sequence number in its readable records (0: none). */
  maxSeq: number
  damage?: { offset: number; message: string }
}

/** `CURRENT`'s state: what it named, or why it names nothing usable. */
export interface CurrentState {
  status: 'intact' | 'damaged' | 'missing'
  names?: number
  message?: string
}

export function readCurrentState(fs: FileSystem, dir: string): CurrentState {
  try {
    const names = readCurrent(fs, dir)
    return names === undefined ? { status: 'missing' } : { status: 'intact', names }
  } catch (err) {
    if (err instanceof CorruptionError) return { status: 'damaged', message: err.message }
    throw err
  }
}

/** Replays one manifest as far as it reads; undefined when not even its snapshot record does. */
function replayManifest(fs: FileSystem, dir: string, number: number): OldManifest | undefined {
  const path = filePath(dir, manifestFileName(number))
  const versions = new VersionSet(() => undefined)
  let edits = 0
  let damage: string | undefined
  let file
  try {
    file = fs.openRead(path)
  } catch (err) {
    if (err instanceof NotFoundError || err instanceof CorruptionError) return undefined
    throw err
  }
  try {
    readLog(file, 'manifest', { tolerateTornTail: true }, (rec) => {
      if (rec.payload.length === 0) return
      versions.apply(decodeVersionEdit(rec.payload, path, rec.offset), { file: path, offset: rec.offset })
      edits++
    })
  } catch (err) {
    if (!(err instanceof CorruptionError)) throw err
    damage = err.message
  } finally {
    file.close()
  }
  if (edits === 0) return undefined
  return { number, status: damage === undefined ? 'intact' : 'damaged', edits, damage, versions }
}

/**
 * The manifest CURRENT names, else the newest one in the directory, replayed as far as it reads;
 * the next older one when not even its snapshot record reads. Undefined when none reads.
 */
export function readOldManifest(fs: FileSystem, dir: string, names: string[], current: CurrentState): OldManifest | undefined {
  const numbers = names.map((n) => parseFileName(n)).filter((p) => p?.kind === 'manifest').map((p) => p!.number).sort((a, b) => b - a)
  if (current.names !== undefined) numbers.unshift(current.names)
  for (const n of new Set(numbers)) {
    const m = replayManifest(fs, dir, n)
    if (m !== undefined) return m
  }
  return undefined
}

/** Opens and verifies a table (every block's checksum); the reader stays open unless open failed. */
export function surveyTable(fs: FileSystem, dir: string, number: number): SurveyedTable {
  const path = filePath(dir, tableFileName(number))
  const bytes = fileSize(fs, path)
  let reader: TableReader
  try {
    reader = TableReader.open(fs, path, number, new BlockCache(0))
  } catch (err) {
    if (err instanceof CorruptionError) return { number, bytes, damage: err.message }
    throw err
  }
  try {
    reader.verify()
    return { number, bytes, reader }
  } catch (err) {
    if (err instanceof CorruptionError) return { number, bytes, reader, damage: err.message }
    reader.close()
    throw err
  }
}

/**
 * Checks every value-log file (the newest that is not a whole one may end in a torn tail, as
 * verify allows; a whole one must be whole).
 */
export function surveyValueLogs(fs: FileSystem, dir: string, numbers: number[]): SurveyedValueLog[] {
  const paths = numbers.map((n) => filePath(dir, vlogFileName(n)))
  const versions = paths.map((path) => valueLogVersion(fs, path))
  const newest = newestAppendable(versions)
  return numbers.map((number, i) => {
    const path = paths[i]
    const c = new Checker(fs, dir)
    c.valueLog(path, i === newest)
    const bytes = fileSize(fs, path)
    const whole = versions[i] === VLOG_FORMAT_WHOLE
    const problem = c.problems[0]
    if (problem === undefined) return { number, bytes, status: 'intact', whole }
    const damage = { offset: problem.offset, message: problem.message }
    return { number, bytes, status: problem.offset < VLOG_HEADER_SIZE ? 'lost' : 'damaged', whole, damage }
  })
}

/** Checks every WAL (framing and batches, as verify does) and finds the highest seq in each. */
export function surveyWals(fs: FileSystem, dir: string, numbers: number[]): SurveyedWal[] {
  const paths = numbers.map((n) => filePath(dir, walFileName(n)))
  const newestAt = lastWalWithRecords(fs, paths)
  return numbers.map((number, i) => {
    const path = paths[i]
    const c = new Checker(fs, dir)
    c.wal(path, i >= newestAt, undefined)
    // Every WAL is read up to its first bad record: what lies past damage is not trusted.
    const maxSeq = walLastSeq(fs, path, true)
    const problem = c.problems[0]
    return { number, bytes: fileSize(fs, path), maxSeq, damage: problem && { offset: problem.offset, message: problem.message } }
  })
}

function fileSize(fs: FileSystem, path: string): number {
  const f = fs.openRead(path)
  try {
    return f.size
  } finally {
    f.close()
  }
}

/** The numbers of the files of one kind in the directory, ascending. */
export function fileNumbers(names: string[], kind: 'table' | 'vlog' | 'wal' | 'manifest'): number[] {
  return names.map((n) => parseFileName(n)).filter((p) => p?.kind === kind).map((p) => p!.number).sort((a, b) => a - b)
}

