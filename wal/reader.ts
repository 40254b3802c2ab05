// readLog: replays a record log (WAL or manifest) and tells a torn tail from corruption.
//
// The rule (docs/format.md (Log files)) depends on the file's format version:
// - version 1: a bad record is CORRUPTION when some valid record starts anywhere after it;
//   otherwise it is a TORN TAIL, the normal result of a crash during an append.
// - version 2: a bad record at X is CORRUPTION when some valid record (before or after it) claims
//   that the file was durable past X: synced bytes were damaged. Otherwise it is a TORN TAIL even
//   with valid records after it: a crash persisted later unsynced writes before earlier ones.
// A torn tail is cut off when the caller tolerates one. An all-zero rest of file is a clean end
// (a preallocated or zero-filled tail), not a torn one. The whole file is read at once: a WAL is
// at most ~64 MiB.

import { CorruptionError } from '../base/errors.js'
import type { ReadableFile } from '../base/fs.js'
import {
  FILE_HEADER_SIZE, LOG_FORMAT_CLAIMING, type LogKind, RECORD_HEADER_SIZE, decodeFileHeader, decodeRecord, findNextRecord,
  headerChecksum, isFileHeaderIntact, isMarker, isZeroTail, payloadStart, recordClaim, recordFailureDetail,
} from './format.js'

export interface LogRecord {
  /** Where the record's header starts in the file. */
  offset: number
  /**
   * A view into one buffer holding the whole file, valid for as long as the caller keeps it;
   * keeping any payload keeps that buffer alive, so copy what must outlive the replay.
   */
  payload: Uint8Array
  /** The whole file's bytes, which `payload` is a view of (same lifetime rule). */
  data: Uint8Array
  /** Where `payload` starts in `data`: a reader that keeps offsets rather than views adds it. */
  payloadOffset: number
}

export interface ReadLogResult {
  /** Offset just past the last good record (FILE_HEADER_SIZE for a log with no records). */
  validLength: number
  /** Set when a torn tail was cut: where the bad bytes began. */
  tornTailAt?: number
  /** Valid records found after a torn tail (version 2: unsynced writes that reached the disk early). */
  recordsAfterTear?: number
}

export interface ReadLogOptions {
  /** True for the newest WAL and the manifest being appended: a torn tail is cut, not an error. */
  tolerateTornTail: boolean
}

/**
 * Reads every record in order, calling onRecord for each, and returns where the good part ends.
 * Throws CorruptionError(path, offset, detail) for a bad or wrong-kind file header (offset 0), a
 * bad record followed by a valid one, or a torn tail when `tolerateTornTail` is false. Records
 * before the failure have been passed to onRecord when it throws.
 * An empty file, an all-zero file, or one too short to hold a record whose header is cut short or
 * fails its checksum, is a log with no records when the tail is tolerated: a crash right after create.
 */
export function readLog(
  file: ReadableFile,
  kind: LogKind,
  options: ReadLogOptions,
  onRecord: (record: LogRecord) => void,
): ReadLogResult {
  const { path, size } = file
  const data = file.read(0, size)
  if (data.length !== size) throw new CorruptionError(path, data.length, `read ${data.length} of ${size} bytes`)
  if (size === 0) {
    if (options.tolerateTornTail) return { validLength: 0 }
    throw new CorruptionError(path, 0, 'log file is empty')
  }
  // A file too short to hold one record, or all zeros, has lost at most its header: a crash right
  // after create. A damaged header of a longer file may hide records, so that is corruption.
  const noRoomForRecord = size < FILE_HEADER_SIZE + RECORD_HEADER_SIZE
  if (size < FILE_HEADER_SIZE || isZeroTail(data, 0) || (noRoomForRecord && !isFileHeaderIntact(data))) {
    if (options.tolerateTornTail) return { validLength: 0, tornTailAt: 0 }
    throw new CorruptionError(path, 0, `log file header is torn (${size} bytes in the file)`)
  }
  const { salt, version } = decodeFileHeader(data, path, kind)

  let offset = FILE_HEADER_SIZE
  while (offset < size) {
    const end = decodeRecord(data, offset, salt, version)
    if (end < 0) return badRecord(data, path, offset, end, salt, version, options)
    if (!isMarker(data, offset)) {
      const start = payloadStart(data, offset)
      onRecord({ offset, payload: data.subarray(start, end), data, payloadOffset: start })
    }
    offset = end
  }
  return { validLength: offset }
}

/**
 * Whether the valid record at `offset` is vouched for as synced: the offset of the first valid
 * record after it (a durable marker included) that claims the log was durable through its end, or
 * undefined. Version-1 logs claim nothing (undefined). For a caller that finds a record it cannot
 * replay (its values did not survive elsewhere) and must tell a crash's unsynced tail from damage.
 * requires: the record at `offset` is whole (readLog passed it to onRecord).
 */
export function claimedSynced(file: ReadableFile, offset: number): number | undefined {
  const data = file.read(0, file.size)
  const { salt, version } = decodeFileHeader(data, file.path, 'wal')
  if (version !== LOG_FORMAT_CLAIMING) return undefined
  const recordEnd = decodeRecord(data, offset, salt, version)
  let at = recordEnd
  while (at >= 0 && at < data.length) {
    let end = decodeRecord(data, at, salt, version)
    if (end < 0) {
      // A tear: later records may still have reached the disk (out-of-order writeback).
      at = findNextRecord(data, at + 1, salt, version)
      if (at < 0) break
      end = decodeRecord(data, at, salt, version)
    }
    if (recordClaim(data, at) >= recordEnd) return at
    at = end
  }
  return undefined
}

/**
 * True when the log's first record is whole, its checksums match, and it holds a payload: what
 * readLog would pass to onRecord first. Reads only the file header and that record, so a caller
 * asking whether a log holds records (recovery's search for the newest WAL that does) need not
 * read a 45 MiB WAL a second time. False says nothing: the file may still hold records after a
 * marker or after damage; ask readLog then.
 */
export function firstRecordIsWhole(file: ReadableFile, kind: LogKind): boolean {
  const first = FILE_HEADER_SIZE
  if (file.size < first + RECORD_HEADER_SIZE) return false
  const head = file.read(0, first + RECORD_HEADER_SIZE)
  if (head.length !== first + RECORD_HEADER_SIZE) return false
  let header
  try {
    header = decodeFileHeader(head, file.path, kind)
  } catch {
    return false
  }
  // The length is trusted only once the header's own checksum matches (it could read as 1 GiB).
  if (u32At(head, first + 9) !== headerChecksum(head, first + 4, header.salt)) return false
  const end = first + RECORD_HEADER_SIZE + u32At(head, first + 4)
  if (end > file.size) return false
  const data = end === head.length ? head : file.read(0, end)
  return decodeRecord(data, first, header.salt, header.version) === end && !isMarker(data, first)
}

function u32At(buf: Uint8Array, o: number): number {
  return (buf[o] | (buf[o + 1] << 8) | (buf[o + 2] << 16) | (buf[o + 3] << 24)) >>> 0
}

function badRecord(
  data: Uint8Array, path: string, offset: number, failure: number, salt: number, version: number, options: ReadLogOptions,
): ReadLogResult {
  if (isZeroTail(data, offset)) return { validLength: offset }
  const detail = recordFailureDetail(failure)
  let after = 0
  if (version === LOG_FORMAT_CLAIMING) {
    // Claims before the bad record are at most its offset (a record claims what preceded it), so
    // only the records after it can vouch for it.
    for (let next = findNextRecord(data, offset + 1, salt, version); next >= 0; ) {
      const claim = recordClaim(data, next)
      if (claim > offset) {
        throw new CorruptionError(path, offset, `${detail}; the record at offset ${next} was written after ${claim} bytes were synced`)
      }
      after++
      next = findNextRecord(data, decodeRecord(data, next, salt, version), salt, version)
    }
  } else {
    const next = findNextRecord(data, offset + 1, salt, version)
    if (next >= 0) throw new CorruptionError(path, offset, `${detail}; a valid record follows at offset ${next}`)
  }
  if (options.tolerateTornTail) return after > 0 ? { validLength: offset, tornTailAt: offset, recordsAfterTear: after } : { validLength: offset, tornTailAt: offset }
  throw new CorruptionError(path, offset, after > 0 ? `${detail}; ${after} unsynced records follow (torn tail of a log that is not the newest)` : `${detail} (torn tail)`)
}
