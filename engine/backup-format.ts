// Backup files: the streamed format db.backup() writes and db.load()/restore() read. A header,
// records in checksummed chunks, and a trailer counting them and checksumming every byte before
// it, so a cut anywhere or any changed bit is found before anything is applied.
//
//   file    = header chunk* trailer                           (nothing may follow the trailer)
//   header  = magic "sett-bak" (8) | version u32 (= 1) | flags u32 (= 0) | since u64 | until u64
//             | createdAt u64 (ms since the Unix epoch) | crc u32        (44 bytes)
//   frame   = crc u32 | type u8 | length u32 | count u32 | payload (length bytes)
//             crc: masked CRC-32 of every frame byte after it (type through the payload end)
//   chunk   = frame of type 1: payload = count records, in strictly increasing key order
//   trailer = frame of type 2, count 0: payload = records u64 | chunks u32 | fileCrc u32
//             fileCrc: masked CRC-32 of every file byte before the trailer
//   record  = kind u8 | seq varint | keyLength varint | key
//             [ kind 1 only: expiresAt varint | meta u8 | valueLength varint | value ]
//             kind 0 = deletion (only in incremental backups), 1 = value
//
// Integers little-endian, varints unsigned LEB128 (base/varint.ts), checksums masked CRC-32
// (base/checksum.ts). `until` is the snapshot's sequence number; `since` is 0 for a full backup.
// expiresAt is ms since the Unix epoch (0 = never), meta a byte the caller attached; both are 0
// until the engine stores TTLs (issue #7). Drawn with a worked example in docs/format.md.

import { checksum, crc32, maskChecksum } from '../base/checksum.js'
import { CorruptionError } from '../base/errors.js'
import { compareBytes } from '../base/internal-key.js'
import { readVarint, varintLength, writeVarint } from '../base/varint.js'
import { MAX_KEY_SIZE, MAX_VALUE_SIZE } from './options.js'

export const BACKUP_MAGIC = Uint8Array.of(0x73, 0x65, 0x74, 0x74, 0x2d, 0x62, 0x61, 0x6b) // "sett-bak"
export const BACKUP_FORMAT_VERSION = 1
export const BACKUP_HEADER_SIZE = 44
export const FRAME_HEADER_SIZE = 13
export const FRAME_CHUNK = 1
export const FRAME_TRAILER = 2
const TRAILER_PAYLOAD_SIZE = 16

export const RECORD_DELETE = 0
export const RECORD_VALUE = 1

/** A chunk is cut once its payload passes this: big enough that framing costs nothing, small enough to hold. */
export const CHUNK_TARGET_BYTES = 1024 * 1024
/** The largest payload a reader accepts: one record of the largest key and value, with room. */
const MAX_FRAME_PAYLOAD = MAX_VALUE_SIZE + MAX_KEY_SIZE + 64

export interface BackupHeader {
  /** 0 for a full backup; else only keys whose newest version is newer than this sequence. */
  since: number
  /** The sequence number of the snapshot the backup was taken at. */
  until: number
  /** When the backup was taken, ms since the Unix epoch. */
  createdAt: number
}

export interface BackupRecord {
  kind: typeof RECORD_DELETE | typeof RECORD_VALUE
  seq: number
  /** View into the chunk: valid until the record callback returns. */
  key: Uint8Array
  /** View into the chunk (empty for a deletion): valid until the record callback returns. */
  value: Uint8Array
  /** ms since the Unix epoch; 0 = never expires. */
  expiresAt: number
  meta: number
}

function setU64(view: DataView, at: number, v: number): void {
  view.setUint32(at, v % 0x1_0000_0000, true)
  view.setUint32(at + 4, Math.floor(v / 0x1_0000_0000), true)
}

function getU64(view: DataView, at: number): number {
  return view.getUint32(at + 4, true) * 0x1_0000_0000 + view.getUint32(at, true)
}

export function encodeBackupHeader(h: BackupHeader): Uint8Array {
  const out = new Uint8Array(BACKUP_HEADER_SIZE)
  const view = new DataView(out.buffer)
  out.set(BACKUP_MAGIC, 0)
  view.setUint32(8, BACKUP_FORMAT_VERSION, true)
  view.setUint32(12, 0, true)
  setU64(view, 16, h.since)
  setU64(view, 24, h.until)
  setU64(view, 32, h.createdAt)
  view.setUint32(40, checksum(out.subarray(0, 40)), true)
  return out
}

/** Throws CorruptionError unless `buf` is an intact header of a known version. */
export function decodeBackupHeader(file: string, buf: Uint8Array): BackupHeader {
  for (let i = 0; i < BACKUP_MAGIC.length; i++) {
    if (buf[i] !== BACKUP_MAGIC[i]) throw new CorruptionError(file, 0, 'not a Sett backup (bad magic)')
  }
  const view = new DataView(buf.buffer, buf.byteOffset, BACKUP_HEADER_SIZE)
  if (view.getUint32(40, true) !== checksum(buf.subarray(0, 40))) throw new CorruptionError(file, 0, 'backup header checksum mismatch')
  const version = view.getUint32(8, true)
  if (version !== BACKUP_FORMAT_VERSION) throw new CorruptionError(file, 8, `unknown backup format version ${version}`)
  if (view.getUint32(12, true) !== 0) throw new CorruptionError(file, 12, 'unknown backup header flags')
  const h = { since: getU64(view, 16), until: getU64(view, 24), createdAt: getU64(view, 32) }
  if (h.since > h.until) throw new CorruptionError(file, 16, `backup since ${h.since} is after its until ${h.until}`)
  return h
}

/** The 13-byte frame header with its checksum over the header's tail and the payload. */
function frameHeader(type: number, count: number, payload: Uint8Array): Uint8Array {
  const head = new Uint8Array(FRAME_HEADER_SIZE)
  const view = new DataView(head.buffer)
  head[4] = type
  view.setUint32(5, payload.length, true)
  view.setUint32(9, count, true)
  view.setUint32(0, maskChecksum(crc32(payload, crc32(head.subarray(4)))), true)
  return head
}

/**
 * Builds the byte stream of a backup: header first, then records (in increasing key order), then
 * finish() for the trailer. Bytes come out through `emit` in whole frames; the writer keeps a
 * running CRC of everything emitted for the trailer.
 */
export class BackupEncoder {
  private readonly emit: (bytes: Uint8Array) => void
  private buf = new Uint8Array(CHUNK_TARGET_BYTES + 4096)
  private used = 0
  private count = 0
  private fileCrc = 0
  records = 0
  chunks = 0
  bytes = 0

  constructor(header: BackupHeader, emit: (bytes: Uint8Array) => void) {
    this.emit = emit
    this.out(encodeBackupHeader(header))
  }

  private out(bytes: Uint8Array): void {
    this.fileCrc = crc32(bytes, this.fileCrc)
    this.bytes += bytes.length
    this.emit(bytes)
  }

  /** True once the current chunk should be cut (by flushChunk) before more records go in. */
  get chunkFull(): boolean {
    return this.used >= CHUNK_TARGET_BYTES
  }

  add(kind: BackupRecord['kind'], seq: number, key: Uint8Array, value: Uint8Array, expiresAt: number, meta: number): void {
    let size = 1 + varintLength(seq) + varintLength(key.length) + key.length
    if (kind === RECORD_VALUE) size += varintLength(expiresAt) + 1 + varintLength(value.length) + value.length
    if (this.used + size > this.buf.length) {
      const grown = new Uint8Array(Math.max(this.buf.length * 2, this.used + size))
      grown.set(this.buf.subarray(0, this.used))
      this.buf = grown
    }
    const b = this.buf
    let at = this.used
    b[at++] = kind
    at = writeVarint(b, at, seq)
    at = writeVarint(b, at, key.length)
    b.set(key, at)
    at += key.length
    if (kind === RECORD_VALUE) {
      at = writeVarint(b, at, expiresAt)
      b[at++] = meta
      at = writeVarint(b, at, value.length)
      b.set(value, at)
      at += value.length
    }
    this.used = at
    this.count++
    this.records++
  }

  /** Emits the records added so far as one chunk (nothing when there are none). */
  flushChunk(): void {
    if (this.count === 0) return
    const payload = this.buf.slice(0, this.used)
    this.out(frameHeader(FRAME_CHUNK, this.count, payload))
    this.out(payload)
    this.chunks++
    this.used = 0
    this.count = 0
  }

  /** Emits the last chunk and the trailer. */
  finish(): void {
    this.flushChunk()
    const payload = new Uint8Array(TRAILER_PAYLOAD_SIZE)
    const view = new DataView(payload.buffer)
    setU64(view, 0, this.records)
    view.setUint32(8, this.chunks, true)
    view.setUint32(12, maskChecksum(this.fileCrc), true)
    const head = frameHeader(FRAME_TRAILER, 0, payload)
    this.bytes += head.length + payload.length
    this.emit(head)
    this.emit(payload)
  }
}

export interface BackupSummary extends BackupHeader {
  records: number
  chunks: number
  /** Bytes of the whole file. */
  bytes: number
  /** Records that carry an expiry or a meta byte. */
  recordsWithTtlOrMeta: number
}

/**
 * Reads a backup pushed to it in pieces of any size, checking every checksum, the record order
 * and the trailer; `onChunk` gets each verified chunk's records (views valid during the call).
 * Holds at most one frame in memory. end() throws CorruptionError unless the trailer was read
 * and matched, so a file cut at a frame boundary is caught too.
 */
export class BackupDecoder {
  private readonly file: string
  private readonly onChunk: ((records: BackupRecord[]) => void) | undefined
  private pending = new Uint8Array(64 * 1024)
  private pendingStart = 0
  private pendingEnd = 0
  /** File offset of pending[pendingStart]. */
  private offset = 0
  private fileCrc = 0
  private lastKey: Uint8Array | undefined
  private trailerSeen = false
  header: BackupHeader | undefined
  records = 0
  chunks = 0
  recordsWithTtlOrMeta = 0

  constructor(file: string, onChunk?: (records: BackupRecord[]) => void) {
    this.file = file
    this.onChunk = onChunk
  }

  private fail(at: number, what: string): never {
    throw new CorruptionError(this.file, at, what)
  }

  push(data: Uint8Array): void {
    if (data.length === 0) return
    if (this.trailerSeen) this.fail(this.offset, 'bytes after the trailer')
    const have = this.pendingEnd - this.pendingStart
    if (this.pendingEnd + data.length > this.pending.length) {
      if (have + data.length <= this.pending.length) {
        this.pending.copyWithin(0, this.pendingStart, this.pendingEnd)
      } else {
        const grown = new Uint8Array(Math.max(this.pending.length * 2, have + data.length))
        grown.set(this.pending.subarray(this.pendingStart, this.pendingEnd))
        this.pending = grown
      }
      this.pendingStart = 0
      this.pendingEnd = have
    }
    this.pending.set(data, this.pendingEnd)
    this.pendingEnd += data.length
    this.consume()
  }

  /** Takes `n` bytes off the front of what is pending, as a view valid until the next push. */
  private take(n: number): Uint8Array {
    const out = this.pending.subarray(this.pendingStart, this.pendingStart + n)
    this.pendingStart += n
    this.offset += n
    return out
  }

  private consume(): void {
    for (;;) {
      const have = this.pendingEnd - this.pendingStart
      if (this.header === undefined) {
        if (have < BACKUP_HEADER_SIZE) return
        const at = this.pendingStart
        this.header = decodeBackupHeader(this.file, this.pending.subarray(at, at + BACKUP_HEADER_SIZE))
        this.fileCrc = crc32(this.take(BACKUP_HEADER_SIZE), this.fileCrc)
        continue
      }
      if (this.trailerSeen) {
        if (have > 0) this.fail(this.offset, 'bytes after the trailer')
        return
      }
      if (have < FRAME_HEADER_SIZE) return
      const frameAt = this.offset
      const view = new DataView(this.pending.buffer, this.pending.byteOffset + this.pendingStart, FRAME_HEADER_SIZE)
      const type = this.pending[this.pendingStart + 4]
      const length = view.getUint32(5, true)
      const count = view.getUint32(9, true)
      if (type !== FRAME_CHUNK && type !== FRAME_TRAILER) this.fail(frameAt, `unknown frame type ${type}`)
      if (length > MAX_FRAME_PAYLOAD) this.fail(frameAt, `frame length ${length} is too large`)
      if (type === FRAME_TRAILER && (length !== TRAILER_PAYLOAD_SIZE || count !== 0)) this.fail(frameAt, 'malformed trailer')
      if (have < FRAME_HEADER_SIZE + length) return
      const stored = view.getUint32(0, true)
      const frame = this.pending.subarray(this.pendingStart, this.pendingStart + FRAME_HEADER_SIZE + length)
      if (stored !== maskChecksum(crc32(frame.subarray(4)))) this.fail(frameAt, 'frame checksum mismatch')
      if (type === FRAME_TRAILER) {
        this.checkTrailer(frameAt, frame.subarray(FRAME_HEADER_SIZE))
        this.take(frame.length)
        this.trailerSeen = true
        continue
      }
      this.fileCrc = crc32(frame, this.fileCrc)
      const records = this.decodeChunk(frameAt + FRAME_HEADER_SIZE, frame.subarray(FRAME_HEADER_SIZE), count)
      this.chunks++
      this.onChunk?.(records)
      this.take(frame.length)
    }
  }

  private decodeChunk(at: number, payload: Uint8Array, count: number): BackupRecord[] {
    const out: BackupRecord[] = []
    const cursor = { offset: 0 }
    const varint = (): number => {
      const v = readVarint(payload, cursor)
      return v < 0 ? this.fail(at + cursor.offset, 'truncated varint in a record') : v
    }
    const bytes = (n: number, what: string): Uint8Array => {
      const start = cursor.offset
      if (start + n > payload.length) this.fail(at + start, `${what} runs past the chunk`)
      cursor.offset += n
      return payload.subarray(start, start + n)
    }
    const { since, until } = this.header!
    for (let i = 0; i < count; i++) {
      const recordAt = at + cursor.offset
      if (cursor.offset >= payload.length) this.fail(recordAt, 'chunk holds fewer records than it counts')
      const kind = payload[cursor.offset++]
      if (kind !== RECORD_DELETE && kind !== RECORD_VALUE) this.fail(recordAt, `unknown record kind ${kind}`)
      const seq = varint()
      if (seq <= since || seq > until) this.fail(recordAt, `record seq ${seq} is outside (${since}, ${until}]`)
      const keyLength = varint()
      if (keyLength === 0 || keyLength > MAX_KEY_SIZE) this.fail(recordAt, `bad key length ${keyLength}`)
      const key = bytes(keyLength, 'key')
      if (this.lastKey !== undefined && compareBytes(this.lastKey, key) >= 0) this.fail(recordAt, 'records out of key order')
      this.lastKey = key.slice()
      let value: Uint8Array = EMPTY
      let expiresAt = 0
      let meta = 0
      if (kind === RECORD_VALUE) {
        expiresAt = varint()
        meta = bytes(1, 'meta')[0]
        const valueLength = varint()
        if (valueLength > MAX_VALUE_SIZE) this.fail(recordAt, `bad value length ${valueLength}`)
        value = bytes(valueLength, 'value')
        if (expiresAt !== 0 || meta !== 0) this.recordsWithTtlOrMeta++
      } else if (since === 0) {
        this.fail(recordAt, 'a deletion in a full backup')
      }
      out.push({ kind, seq, key, value, expiresAt, meta })
    }
    if (cursor.offset !== payload.length) this.fail(at + cursor.offset, 'bytes after the last record of a chunk')
    this.records += count
    return out
  }

  private checkTrailer(at: number, payload: Uint8Array): void {
    const view = new DataView(payload.buffer, payload.byteOffset, TRAILER_PAYLOAD_SIZE)
    const records = getU64(view, 0)
    const chunks = view.getUint32(8, true)
    if (records !== this.records || chunks !== this.chunks) {
      this.fail(at, `trailer counts ${records} records in ${chunks} chunks, the file holds ${this.records} in ${this.chunks}`)
    }
    if (view.getUint32(12, true) !== maskChecksum(this.fileCrc)) this.fail(at, 'whole-file checksum mismatch')
  }

  /** The summary of a complete, verified backup; CorruptionError when the trailer never came. */
  end(): BackupSummary {
    if (this.header === undefined) this.fail(this.offset, 'the file ends inside the backup header')
    if (!this.trailerSeen) this.fail(this.offset, 'the backup is cut short (no trailer)')
    return {
      ...this.header, records: this.records, chunks: this.chunks, bytes: this.offset, recordsWithTtlOrMeta: this.recordsWithTtlOrMeta,
    }
  }
}

const EMPTY = new Uint8Array(0)
