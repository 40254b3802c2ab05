// The record-log format shared by the WAL and the manifest: a file header, then records that each
// frame one opaque payload. Integers are little-endian. docs/format.md (Log files) has the worked example.
//
//   file header (16 bytes), once at offset 0:
//   +--------+---------+------+-------+--------+--------+
//   | magic  | version | kind | flags |  salt  |  crc   |
//   |   4    |  u16    |  u8  |  u8   |  u32   |  u32   |
//   +--------+---------+------+-------+--------+--------+
//   magic = "SETL" (53 45 54 4c); kind 1 = WAL, 2 = MANIFEST; flags 0;
//   crc = masked CRC-32 of bytes 0..11.
//
//   record (13-byte header + payload), back to back after the file header:
//   +--------+--------+------+-----------+=================+
//   |  crc   | length | type | headerCrc |     payload     |
//   |  u32   |  u32   |  u8  |    u32    |  length bytes   |
//   +--------+--------+------+-----------+=================+
//   0        4        8      9           13
//   headerCrc = masked CRC-32 of bytes 4..8 (length, type), starting from the salt;
//   crc       = masked CRC-32 of bytes 4..13+length (length, type, headerCrc, payload), from the salt.
//   type 1 = a whole payload; 0 never appears in a record, so an all-zero header ends the log.
//
// Why the pieces are there:
// - The salt is random per file, so a record copied from another log, or framed inside a payload,
//   never checks out in this one: the forward scan that tells corruption from a torn tail
//   (reader.ts) cannot be fooled by payload bytes that look like a record.
// - headerCrc lets a reader trust `length` before touching the payload. That scan tries every
//   offset; without it a run of bytes that happens to read as a plausible header would cost a CRC
//   over megabytes at each offset (quadratic on a payload full of 0x01 bytes).
// - No 32 KiB block fragmentation (LevelDB's log): a reader here loads the whole file and scans
//   for resync itself, and a group commit's one record is written by one append.
//
// Version 2 (the WAL's default since format 2 was added; manifests stay at version 1) frames the
// same way and adds what a reader needs to tell a crash's out-of-order writeback from damage to
// synced bytes: every record starts its payload with the log's durable end as its writer knew it.
//
//   type 2 (claiming record): durableEnd u64 (lo u32, hi u32) | payload
//   type 3 (durable marker):  durableEnd u64                      (no payload; written on close)
//
// durableEnd = the file's length at the writer's last successful fsync before this record. A bad
// record at offset X is damage to synced bytes when any valid record in the file claims a durable
// end past X; otherwise it is where an unsynced tail was torn (possibly with later records that
// reached the disk before it). Version 1 files allow type 1 only and read exactly as before.
//
// Never change what a version means: add a version instead.

import { CorruptionError } from '../base/errors.js'
import { checksum, crc32, maskChecksum } from '../base/checksum.js'

export type LogKind = 'wal' | 'manifest'

/** "SETL" read as a little-endian u32. Never changes. */
export const LOG_MAGIC = 0x4c544553
export const LOG_FORMAT_VERSION = 1
/** Records claim the log's durable end (types 2 and 3). */
export const LOG_FORMAT_CLAIMING = 2
export const FILE_HEADER_SIZE = 16
export const RECORD_HEADER_SIZE = 13
/** The only record type of version 1: the record holds one whole payload. */
export const RECORD_TYPE_FULL = 1
/** Version 2: a whole payload behind the durable end its writer knew. */
export const RECORD_TYPE_CLAIMING = 2
/** Version 2: only a durable end, written when a fully synced log is closed. */
export const RECORD_TYPE_MARKER = 3
/** Bytes of the durable-end claim at the start of a version-2 record's payload. */
export const CLAIM_SIZE = 8
/** Larger payloads are refused by the writer; a WAL is ~64 MiB, a group commit a few MiB. */
export const MAX_PAYLOAD_LENGTH = 1 << 30

const KIND_CODE: Record<LogKind, number> = { wal: 1, manifest: 2 }
const KIND_NAME: Record<number, LogKind | undefined> = { 1: 'wal', 2: 'manifest' }

export interface LogFileHeader {
  kind: LogKind
  version: number
  salt: number
}

function readU32(buf: Uint8Array, o: number): number {
  return (buf[o] | (buf[o + 1] << 8) | (buf[o + 2] << 16) | (buf[o + 3] << 24)) >>> 0
}

function writeU32(buf: Uint8Array, o: number, v: number): void {
  buf[o] = v & 0xff
  buf[o + 1] = (v >>> 8) & 0xff
  buf[o + 2] = (v >>> 16) & 0xff
  buf[o + 3] = (v >>> 24) & 0xff
}

export function encodeFileHeader(kind: LogKind, salt: number, version = LOG_FORMAT_VERSION): Uint8Array {
  const buf = new Uint8Array(FILE_HEADER_SIZE)
  writeU32(buf, 0, LOG_MAGIC)
  buf[4] = version & 0xff
  buf[5] = version >>> 8
  buf[6] = KIND_CODE[kind]
  buf[7] = 0
  writeU32(buf, 8, salt >>> 0)
  writeU32(buf, 12, checksum(buf.subarray(0, 12)))
  return buf
}

/** True when `data` starts with a whole file header whose checksum matches (of any kind or version). */
export function isFileHeaderIntact(data: Uint8Array): boolean {
  return data.length >= FILE_HEADER_SIZE && readU32(data, 12) === checksum(data.subarray(0, 12))
}

/**
 * Decodes the file header at the start of `data`; `path` names the file in errors.
 * requires: data.length >= FILE_HEADER_SIZE. Throws CorruptionError at offset 0 for a bad magic,
 * checksum, version or flags, and for a header of another kind than `expected`.
 */
export function decodeFileHeader(data: Uint8Array, path: string, expected: LogKind): LogFileHeader {
  if (readU32(data, 0) !== LOG_MAGIC) throw new CorruptionError(path, 0, 'not a log file (bad magic)')
  if (readU32(data, 12) !== checksum(data.subarray(0, 12))) {
    throw new CorruptionError(path, 0, 'log file header checksum mismatch')
  }
  const version = data[4] | (data[5] << 8)
  if (version !== LOG_FORMAT_VERSION && version !== LOG_FORMAT_CLAIMING) {
    throw new CorruptionError(path, 0, `unsupported log format version ${version}`)
  }
  if (data[7] !== 0) throw new CorruptionError(path, 0, `unknown log header flags ${data[7]}`)
  const kind = KIND_NAME[data[6]]
  if (kind === undefined) throw new CorruptionError(path, 0, `unknown log kind ${data[6]}`)
  if (kind !== expected) throw new CorruptionError(path, 0, `log is a ${kind} log, expected a ${expected} log`)
  return { kind, version, salt: readU32(data, 8) }
}

// CRC-32 (IEEE, same as zlib) of the 5 bytes at `o`, table-driven: for a 5-byte span a JS loop costs
// ~10 ns where a call into zlib plus a subarray costs ~100 ns, and the resync scan runs it per offset.
const CRC_TABLE = (() => {
  const t = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    t[n] = c >>> 0
  }
  return t
})()

/** The masked headerCrc of the length and type bytes at `o` (bytes o..o+4), starting from `salt`. */
export function headerChecksum(buf: Uint8Array, o: number, salt: number): number {
  return maskChecksum(crcRange(buf, o, o + 5, salt))
}

/** Bytes a record holding `payloadLength` bytes takes on disk in a log of `version`. */
export function recordSize(payloadLength: number, version = LOG_FORMAT_VERSION): number {
  return RECORD_HEADER_SIZE + (version === LOG_FORMAT_CLAIMING ? CLAIM_SIZE : 0) + payloadLength
}

/**
 * Frames `payload` into `dst` at `offset`; returns the offset after the record. With `claim`
 * (version 2) the record is type 2, its payload behind the durable end `claim`, or type 3 with
 * only the claim when `payload` is undefined.
 * requires: room for recordSize(payload.length, version) bytes; payload.length <= MAX_PAYLOAD_LENGTH.
 */
export function encodeRecord(dst: Uint8Array, offset: number, payload: Uint8Array | undefined, salt: number, claim?: number): number {
  if (payload !== undefined) dst.set(payload, offset + RECORD_HEADER_SIZE + (claim === undefined ? 0 : CLAIM_SIZE))
  return frameRecord(dst, offset, payload === undefined ? -1 : payload.length, salt, claim)
}

/**
 * encodeRecord for a payload already in place in `dst` (at offset + RECORD_HEADER_SIZE, after the
 * claim when there is one): the same bytes, with no copy of it. `payloadLength` -1 frames a
 * marker (type 3: a claim and nothing else). Returns the offset after the record.
 */
export function frameRecord(dst: Uint8Array, offset: number, payloadLength: number, salt: number, claim?: number): number {
  const bodyStart = offset + RECORD_HEADER_SIZE
  let at = bodyStart
  if (claim !== undefined) {
    writeU32(dst, at, claim % 0x1_0000_0000)
    writeU32(dst, at + 4, Math.floor(claim / 0x1_0000_0000))
    at += CLAIM_SIZE
  }
  const end = at + Math.max(payloadLength, 0)
  writeU32(dst, offset + 4, end - bodyStart)
  dst[offset + 8] = claim === undefined ? RECORD_TYPE_FULL : payloadLength < 0 ? RECORD_TYPE_MARKER : RECORD_TYPE_CLAIMING
  writeU32(dst, offset + 9, headerChecksum(dst, offset + 4, salt))
  writeU32(dst, offset, maskChecksum(end - offset <= SMALL_RECORD ? crcRange(dst, offset + 4, end, salt) : crc32(dst.subarray(offset + 4, end), salt)))
  return end
}

/**
 * Records up to this size get their CRC from the table loop below rather than zlib: a synced
 * writer frames one small record per fsync, and there a call into zlib (and the subarray for it)
 * on cold caches cost more than the loop over ~150 bytes with the table headerChecksum just used.
 */
const SMALL_RECORD = 512

/** CRC-32 (IEEE, zlib's) of buf[from, to), continuing from `initial` as zlib's crc32 does. */
export function crcRange(buf: Uint8Array, from: number, to: number, initial: number): number {
  let c = ~initial
  for (let i = from; i < to; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8)
  return ~c >>> 0
}

/** The durable end a version-2 record at `offset` claims. requires: decodeRecord accepted it. */
export function recordClaim(data: Uint8Array, offset: number): number {
  const at = offset + RECORD_HEADER_SIZE
  return readU32(data, at) + readU32(data, at + 4) * 0x1_0000_0000
}

/** Where the caller's payload of a record accepted by decodeRecord starts (after any claim). */
export function payloadStart(data: Uint8Array, offset: number): number {
  return offset + RECORD_HEADER_SIZE + (data[offset + 8] === RECORD_TYPE_FULL ? 0 : CLAIM_SIZE)
}

/** True for a type-3 record: a claim with nothing for the caller. */
export function isMarker(data: Uint8Array, offset: number): boolean {
  return data[offset + 8] === RECORD_TYPE_MARKER
}

function typeFits(type: number, version: number): boolean {
  return version === LOG_FORMAT_CLAIMING ? type === RECORD_TYPE_CLAIMING || type === RECORD_TYPE_MARKER : type === RECORD_TYPE_FULL
}

// Failures of decodeRecord: negative, so they never collide with an end offset.
export const RECORD_TRUNCATED_HEADER = -1
export const RECORD_BAD_HEADER_CHECKSUM = -2
export const RECORD_BAD_TYPE = -3
export const RECORD_TRUNCATED_PAYLOAD = -4
export const RECORD_BAD_CHECKSUM = -5

const FAILURE_DETAIL: Record<number, string> = {
  [RECORD_TRUNCATED_HEADER]: 'record header runs past the end of the file',
  [RECORD_BAD_HEADER_CHECKSUM]: 'record header checksum mismatch',
  [RECORD_BAD_TYPE]: 'unknown record type',
  [RECORD_TRUNCATED_PAYLOAD]: 'record runs past the end of the file',
  [RECORD_BAD_CHECKSUM]: 'record checksum mismatch',
}

/** Words for a failure code of decodeRecord. */
export function recordFailureDetail(code: number): string {
  return FAILURE_DETAIL[code] ?? `unknown failure ${code}`
}

/**
 * Checks the record at `offset` of `data` (the whole file). Returns the offset just past it when
 * it is whole and its checksums match (its payload is data.subarray(offset + RECORD_HEADER_SIZE,
 * end)), or a negative RECORD_* failure code.
 */
export function decodeRecord(data: Uint8Array, offset: number, salt: number, version = LOG_FORMAT_VERSION): number {
  const size = data.length
  if (offset + RECORD_HEADER_SIZE > size) return RECORD_TRUNCATED_HEADER
  if (readU32(data, offset + 9) !== headerChecksum(data, offset + 4, salt)) return RECORD_BAD_HEADER_CHECKSUM
  const type = data[offset + 8]
  if (!typeFits(type, version)) return RECORD_BAD_TYPE
  const length = readU32(data, offset + 4)
  if (type !== RECORD_TYPE_FULL && length < CLAIM_SIZE) return RECORD_BAD_TYPE
  const end = offset + RECORD_HEADER_SIZE + length
  if (end > size) return RECORD_TRUNCATED_PAYLOAD
  if (readU32(data, offset) !== maskChecksum(crc32(data.subarray(offset + 4, end), salt))) return RECORD_BAD_CHECKSUM
  return end
}

/**
 * The first offset in [from, data.length) where a whole record with matching checksums starts,
 * or -1. Cheap tests go first (type byte, length fits, 5-byte header CRC) so most offsets cost a
 * few byte reads and only a real header leads to a CRC over its payload.
 */
export function findNextRecord(data: Uint8Array, from: number, salt: number, version = LOG_FORMAT_VERSION): number {
  const last = data.length - RECORD_HEADER_SIZE
  for (let o = from; o <= last; o++) {
    if (!typeFits(data[o + 8], version)) continue
    if (o + RECORD_HEADER_SIZE + readU32(data, o + 4) > data.length) continue
    if (readU32(data, o + 9) !== headerChecksum(data, o + 4, salt)) continue
    if (decodeRecord(data, o, salt, version) >= 0) return o
  }
  return -1
}

/** True when every byte of data[from, data.length) is zero (a preallocated or zero-filled tail). */
export function isZeroTail(data: Uint8Array, from: number): boolean {
  for (let i = from; i < data.length; i++) if (data[i] !== 0) return false
  return true
}
