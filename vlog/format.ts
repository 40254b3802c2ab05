// Value-log formats: the file header, one entry, and the value pointer the LSM stores instead of
// a large value. Integers are little-endian; checksums are masked CRC-32 (base/checksum.ts).
//
//   file    = header entry*
//   header  = magic "sett-vlg" (8) | version u32 (= 1) | masked CRC-32 of the 12 bytes before (4)
//   entry   = crc u32 | keyLength u32 | valueLength u32 | seq u64 | meta u8 | key | value
//             crc: masked CRC-32 of every byte after it, through the value
//   pointer = fileNumber varint | offset varint | length varint      (length: the whole entry)
//
// An entry carries its key and sequence number so a file can be scanned alone (GC, verify) and a
// pointer can be checked against the key that led to it. A zero header marks the end of a file.
//
// Version 2 (every file created since it was added) adds one entry shape, the durable marker:
//   marker  = an entry with keyLength 0, valueLength 8, seq 0, meta 0, value = durableEnd u64
// written (and synced) after the file was synced through durableEnd, when the active file is
// closed, the memtable rotated or the database recovered. Keys are never empty, so no value is
// ever a marker. On recovery a bad entry at X in the newest file is damage to synced bytes when a
// valid marker claims a durable end past X (or a WAL record claims one: engine/recovery.ts);
// otherwise it is a crash's torn tail, even with valid entries after it (out-of-order writeback).
// Version-1 files hold no markers and read as before.
//
// Version 3, the whole file (vlog/whole-file.ts): written in one go by a flush, never appended to
// afterwards and never the active file. The same entries, then one closing marker whose durableEnd
// is its own offset, and nothing after it:
//   whole   = header (version 3) entry* closing
//   closing = a marker (as in version 2) with durableEnd = the offset the marker starts at
// The file is synced (and its name) before the manifest edit that adds it (tag 12) is written, so
// a listed version-3 file is always whole: it never has a torn tail, and one that no edit lists is
// a flush's leftover.

import { checksum, crc32, maskChecksum } from '../base/checksum.js'
import { CorruptionError } from '../base/errors.js'
import { readVarint, varintLength, writeVarint } from '../base/varint.js'

export const VLOG_MAGIC = Uint8Array.of(0x73, 0x65, 0x74, 0x74, 0x2d, 0x76, 0x6c, 0x67) // "sett-vlg"
export const VLOG_FORMAT_VERSION = 1
/** Files that may hold durable markers. */
export const VLOG_FORMAT_MARKERS = 2
/** Whole files written by a flush, ending in a closing marker (vlog/whole-file.ts). */
export const VLOG_FORMAT_WHOLE = 3
export const VLOG_HEADER_SIZE = 16
export const ENTRY_HEADER_SIZE = 21

export interface ValuePointer {
  fileNumber: number
  offset: number
  /** Bytes of the whole entry, header included. */
  length: number
}

export function encodeFileHeader(version = VLOG_FORMAT_MARKERS): Uint8Array {
  const out = new Uint8Array(VLOG_HEADER_SIZE)
  out.set(VLOG_MAGIC, 0)
  const view = new DataView(out.buffer)
  view.setUint32(8, version, true)
  view.setUint32(12, checksum(out.subarray(0, 12)), true)
  return out
}

/** Throws CorruptionError unless `buf` starts with a whole, known, intact header; returns its version. */
export function checkFileHeader(file: string, buf: Uint8Array): number {
  if (buf.length < VLOG_HEADER_SIZE) throw new CorruptionError(file, 0, 'value-log header is cut short')
  const view = new DataView(buf.buffer, buf.byteOffset, VLOG_HEADER_SIZE)
  if (view.getUint32(12, true) !== checksum(buf.subarray(0, 12))) {
    throw new CorruptionError(file, 0, 'value-log header checksum mismatch')
  }
  for (let i = 0; i < 8; i++) if (buf[i] !== VLOG_MAGIC[i]) throw new CorruptionError(file, 0, 'not a value-log file')
  const version = view.getUint32(8, true)
  if (version !== VLOG_FORMAT_VERSION && version !== VLOG_FORMAT_MARKERS && version !== VLOG_FORMAT_WHOLE) throw new CorruptionError(file, 0, `unknown value-log version ${version}`)
  return version
}

const MARKER_VALUE_SIZE = 8
/** Bytes of a marker entry (a version-3 file's closing marker among them). */
export const MARKER_SIZE = ENTRY_HEADER_SIZE + MARKER_VALUE_SIZE
const NO_KEY = new Uint8Array(0)

/** A version-2 durable marker claiming the file was synced through `durableEnd`. */
export function encodeMarker(durableEnd: number): Uint8Array {
  const value = new Uint8Array(MARKER_VALUE_SIZE)
  const view = new DataView(value.buffer)
  view.setUint32(0, durableEnd % 0x1_0000_0000, true)
  view.setUint32(4, Math.floor(durableEnd / 0x1_0000_0000), true)
  const out = new Uint8Array(ENTRY_HEADER_SIZE + MARKER_VALUE_SIZE)
  encodeEntry(out, 0, NO_KEY, 0, 0, value)
  return out
}

/** The durable end a decoded entry claims when it is a marker, else undefined. */
export function markerClaim(e: DecodedEntry): number | undefined {
  if (e.key.length !== 0 || e.value.length !== MARKER_VALUE_SIZE) return undefined
  const view = new DataView(e.value.buffer, e.value.byteOffset, MARKER_VALUE_SIZE)
  return view.getUint32(0, true) + view.getUint32(4, true) * 0x1_0000_0000
}

/**
 * Version 2's rule for a bad entry at `badAt` of a whole file `data`: the first valid marker after
 * it that claims a durable end past it (damage to synced bytes), and how many valid entries follow
 * the bad one (unsynced writes that reached the disk before it, when nothing claims past it).
 */
export function claimPast(data: Uint8Array, badAt: number): { marker?: { offset: number; claim: number }; entriesAfter: number } {
  let entriesAfter = 0
  for (let at = findValidEntry(data, badAt + 1); at >= 0; ) {
    const e = decodeEntry(data, at) as DecodedEntry
    const claim = markerClaim(e)
    if (claim !== undefined && claim > badAt) return { marker: { offset: at, claim }, entriesAfter }
    entriesAfter++
    at = findValidEntry(data, at + e.length)
  }
  return { entriesAfter }
}

export function entrySize(key: Uint8Array, value: Uint8Array): number {
  return ENTRY_HEADER_SIZE + key.length + value.length
}

/** Writes one entry at `at` in `out`. requires: room for entrySize(key, value) bytes. */
export function encodeEntry(out: Uint8Array, at: number, key: Uint8Array, seq: number, meta: number, value: Uint8Array): void {
  const view = new DataView(out.buffer, out.byteOffset + at, ENTRY_HEADER_SIZE)
  view.setUint32(4, key.length, true)
  view.setUint32(8, value.length, true)
  const lo = seq % 0x1_0000_0000
  view.setUint32(12, lo, true)
  view.setUint32(16, (seq - lo) / 0x1_0000_0000, true)
  out[at + 20] = meta
  out.set(key, at + ENTRY_HEADER_SIZE)
  out.set(value, at + ENTRY_HEADER_SIZE + key.length)
  const end = at + ENTRY_HEADER_SIZE + key.length + value.length
  view.setUint32(0, maskChecksum(crc32(out.subarray(at + 4, end))), true)
}

export interface DecodedEntry {
  key: Uint8Array
  seq: number
  meta: number
  value: Uint8Array
  /** Bytes of the whole entry. */
  length: number
}

/** Entry-level failures, for telling a torn tail from damage. */
export const ENTRY_TRUNCATED = -1
export const ENTRY_BAD = -2
export const ENTRY_END = -3

/**
 * Decodes the entry at `at` of `buf` (views into buf), or returns ENTRY_TRUNCATED when it runs
 * past the end, ENTRY_END for an all-zero header, ENTRY_BAD when its checksum fails.
 */
export function decodeEntry(buf: Uint8Array, at: number): DecodedEntry | number {
  if (at + ENTRY_HEADER_SIZE > buf.length) return at === buf.length ? ENTRY_END : ENTRY_TRUNCATED
  const view = new DataView(buf.buffer, buf.byteOffset + at, ENTRY_HEADER_SIZE)
  const keyLength = view.getUint32(4, true)
  const valueLength = view.getUint32(8, true)
  let zero = true
  for (let i = 0; i < ENTRY_HEADER_SIZE; i++) if (buf[at + i] !== 0) zero = false
  if (zero) return ENTRY_END
  const end = at + ENTRY_HEADER_SIZE + keyLength + valueLength
  if (end > buf.length) return ENTRY_TRUNCATED
  if (view.getUint32(0, true) !== maskChecksum(crc32(buf.subarray(at + 4, end)))) return ENTRY_BAD
  const seq = view.getUint32(16, true) * 0x1_0000_0000 + view.getUint32(12, true)
  const keyStart = at + ENTRY_HEADER_SIZE
  return {
    key: buf.subarray(keyStart, keyStart + keyLength),
    seq,
    meta: buf[at + 20],
    value: buf.subarray(keyStart + keyLength, end),
    length: end - at,
  }
}

/** checkEntry()'s answers that are not a value offset. */
export const CHECK_BAD = -1
export const CHECK_OTHER_KEY = -2

/**
 * decodeEntry() for a point read, allocating nothing but the checksum's view: the entry that fills
 * `buf[0, length)` has a good checksum, ends exactly at `length` and holds `key`. Returns where its
 * value starts, CHECK_BAD (cut short, an end marker, a bad checksum or another length) or
 * CHECK_OTHER_KEY. The checks and their order are decodeEntry's, then the key.
 */
export function checkEntry(buf: Uint8Array, length: number, key: Uint8Array): number {
  if (length < ENTRY_HEADER_SIZE || length > buf.length) return CHECK_BAD
  const keyLength = (buf[4] | (buf[5] << 8) | (buf[6] << 16) | (buf[7] << 24)) >>> 0
  const valueLength = (buf[8] | (buf[9] << 8) | (buf[10] << 16) | (buf[11] << 24)) >>> 0
  if (ENTRY_HEADER_SIZE + keyLength + valueLength !== length) return CHECK_BAD
  const stored = (buf[0] | (buf[1] << 8) | (buf[2] << 16) | (buf[3] << 24)) >>> 0
  // An all-zero header is the end of a file, never an entry (decodeEntry: ENTRY_END).
  if (stored === 0 && keyLength === 0 && valueLength === 0) {
    let zero = true
    for (let i = 12; i < ENTRY_HEADER_SIZE; i++) if (buf[i] !== 0) zero = false
    if (zero) return CHECK_BAD
  }
  if (stored !== maskChecksum(crc32(buf.subarray(4, length)))) return CHECK_BAD
  if (keyLength !== key.length) return CHECK_OTHER_KEY
  for (let i = 0; i < keyLength; i++) if (buf[ENTRY_HEADER_SIZE + i] !== key[i]) return CHECK_OTHER_KEY
  return ENTRY_HEADER_SIZE + keyLength
}

/** The whole length (header, key and value) that the entry header at `at` of `buf` claims; unchecked. */
export function entryLengthAt(buf: Uint8Array, at: number): number {
  const view = new DataView(buf.buffer, buf.byteOffset + at, ENTRY_HEADER_SIZE)
  return ENTRY_HEADER_SIZE + view.getUint32(4, true) + view.getUint32(8, true)
}

/**
 * The first offset at or after `from` where a whole entry with a good checksum starts, or -1.
 * Tells a torn tail (nothing valid after the bad bytes) from damage (a valid entry follows).
 */
export function findValidEntry(buf: Uint8Array, from: number): number {
  for (let at = from; at + ENTRY_HEADER_SIZE <= buf.length; at++) {
    // Cheap tests first: most offsets fail on a length that cannot fit.
    if (at + entryLengthAt(buf, at) > buf.length) continue
    if (typeof decodeEntry(buf, at) !== 'number') return at
  }
  return -1
}

/** The most bytes encodePointer() writes: three varints of at most 8 bytes each. */
export const MAX_POINTER_LENGTH = 24

export function encodePointer(p: ValuePointer): Uint8Array {
  const out = new Uint8Array(varintLength(p.fileNumber) + varintLength(p.offset) + varintLength(p.length))
  writeVarint(out, writeVarint(out, writeVarint(out, 0, p.fileNumber), p.offset), p.length)
  return out
}

/** `where` names the table or WAL the pointer came from, for errors. */
export function decodePointer(bytes: Uint8Array, where = 'value pointer'): ValuePointer {
  return decodePointerInto(bytes, 0, bytes.length, where, { fileNumber: 0, offset: 0, length: 0 })
}

/**
 * decodePointer of bytes[start, end) into `out` (returned), allocating nothing: recovery checks
 * the pointer of every replayed entry, ~460,000 in a full memtable of them, in place in the WAL.
 */
export function decodePointerInto(bytes: Uint8Array, start: number, end: number, where: string, out: ValuePointer): ValuePointer {
  pointerCursor.offset = start
  out.fileNumber = pointerVarint(bytes, end, where)
  out.offset = pointerVarint(bytes, end, where)
  out.length = pointerVarint(bytes, end, where)
  if (pointerCursor.offset !== end) badPointer(where, `${end - pointerCursor.offset} trailing bytes`)
  if (out.length < ENTRY_HEADER_SIZE) badPointer(where, `length ${out.length}`)
  return out
}

const pointerCursor = { offset: 0 }

/** The varint at pointerCursor in bytes[.., end), as ByteReader.varint() reads it. */
function pointerVarint(bytes: Uint8Array, end: number, where: string): number {
  const v = readVarint(bytes, pointerCursor, end)
  return v < 0 ? badPointer(where, 'truncated varint') : v
}

function badPointer(where: string, what: string): never {
  throw new CorruptionError(where, 0, `bad value pointer: ${what}`)
}
