// Whole value-log files (format version 3, vlog/format.ts): written start to end in one go by a
// flush, from the large values a synced write kept inline in its WAL record and memtable, then
// closed for good. WholeFileWriter writes one; checkWholeFile() checks one (verify, repair). Reads go through ValueLog.read() like any file's.
//
// Lifetime: the writer's caller makes the name durable (syncDir) and only then records the file
// in the manifest (tag 12); until that edit is durable the file is a leftover that open removes.
// Never appended to after finish(), never the active file, never preallocated.

import { CorruptionError } from '../base/errors.js'
import type { FileSystem, WritableFile } from '../base/fs.js'
import {
  ENTRY_END, MARKER_SIZE, VLOG_FORMAT_WHOLE, VLOG_HEADER_SIZE, type ValuePointer, checkFileHeader, decodeEntry, encodeEntry,
  encodeFileHeader, encodeMarker, entrySize, markerClaim,
} from './format.js'

/** Entries are gathered into a buffer of this size and appended a buffer at a time. */
const WRITE_BUFFER_SIZE = 1 << 20

export class WholeFileWriter {
  readonly fileNumber: number
  private readonly file: WritableFile
  private buf = new Uint8Array(WRITE_BUFFER_SIZE)
  private used = 0
  /** The file's length once the buffer is appended. */
  private size = VLOG_HEADER_SIZE
  private entryCount = 0

  /** Creates the file (truncating a leftover of the same name) and writes its header. */
  constructor(fs: FileSystem, path: string, fileNumber: number) {
    this.fileNumber = fileNumber
    this.file = fs.create(path)
    this.file.append(encodeFileHeader(VLOG_FORMAT_WHOLE))
  }

  get entries(): number {
    return this.entryCount
  }

  /** Adds one entry (its bytes are copied at once) and returns the pointer to it. */
  add(key: Uint8Array, seq: number, value: Uint8Array): ValuePointer {
    const length = entrySize(key, value)
    if (this.used + length > this.buf.length) this.appendBuffer()
    if (length > this.buf.length) {
      const own = new Uint8Array(length)
      encodeEntry(own, 0, key, seq, 0, value)
      this.file.append(own)
    } else {
      encodeEntry(this.buf, this.used, key, seq, 0, value)
      this.used += length
    }
    const p = { fileNumber: this.fileNumber, offset: this.size, length }
    this.size += length
    this.entryCount++
    return p
  }

  /** Appends the closing marker, syncs and closes the file; returns its size. */
  async finish(): Promise<number> {
    this.appendBuffer()
    const end = this.size
    this.file.append(encodeMarker(end))
    this.size += MARKER_SIZE
    await this.file.sync()
    await this.file.close()
    return this.size
  }

  /** Closes the file without a sync, after a failure (the caller removes it). */
  async abandon(): Promise<void> {
    await this.file.close()
  }

  private appendBuffer(): void {
    if (this.used === 0) return
    this.file.append(this.buf.subarray(0, this.used))
    // file.append lets the caller reuse its data; a fresh buffer would be zero-filled each time.
    this.used = 0
  }
}

/**
 * Checks every entry of a version-3 file's bytes: whole entries from the header on, the last one
 * the closing marker claiming its own offset, no other marker. Returns the number of entries
 * (the marker aside); throws CorruptionError at the first offset that breaks the rule.
 */
export function checkWholeFile(path: string, data: Uint8Array): number {
  const version = checkFileHeader(path, data)
  if (version !== VLOG_FORMAT_WHOLE) throw new CorruptionError(path, 0, `value-log file of version ${version} where a whole file (version 3) was expected`)
  let at = VLOG_HEADER_SIZE
  let entries = 0
  while (at < data.length) {
    const e = decodeEntry(data, at)
    if (typeof e === 'number') {
      const why = e === ENTRY_END ? 'ends before its closing marker' : 'holds a damaged entry'
      throw new CorruptionError(path, at, `whole value-log file (version 3) ${why}`)
    }
    const claim = markerClaim(e)
    if (claim !== undefined) {
      if (claim !== at || at + e.length !== data.length) throw new CorruptionError(path, at, 'whole value-log file (version 3) has a marker that does not close it')
      return entries
    }
    entries++
    at += e.length
  }
  throw new CorruptionError(path, at, 'whole value-log file (version 3) ends before its closing marker')
}
