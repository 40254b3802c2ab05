// Internal keys: a user key plus a trailer of (sequence number, kind), and their order.
//
// Order: user key ascending (bytewise), then sequence descending, then kind descending, so the
// newest version of a key comes first. Encoded form (used in WAL batches, tables and the
// manifest): userKey bytes || trailer, where the trailer is 8 bytes little-endian holding
// seq * 256 + kind. Sequence numbers are below 2^45 so the trailer stays an exact JS number.

/** Entry kinds. Stored on disk: never renumber, only add. */
export const Kind = {
  /** A deletion marker (tombstone). No value. */
  Delete: 0,
  /** The value bytes are stored inline. */
  Value: 1,
  /** The value is a pointer into the value log (encoded by vlog/). */
  ValuePointer: 2,
  /** An inline value behind an expiry/metadata header (see base/entry-value.ts). */
  ValueWithHeader: 3,
  /** A value pointer behind an expiry/metadata header. */
  ValuePointerWithHeader: 4,
} as const
export type Kind = (typeof Kind)[keyof typeof Kind]

/** Sorts before every real kind at the same sequence when seeking (the largest kind byte). */
export const KIND_FOR_SEEK = 0xff

export const TRAILER_SIZE = 8
/** The largest sequence number: 2^45 - 1 (trailer = seq * 256 + kind stays below 2^53). */
export const MAX_SEQ = 2 ** 45 - 1

export function isKnownKind(kind: number): kind is Kind {
  return kind >= Kind.Delete && kind <= Kind.ValuePointerWithHeader && Number.isInteger(kind)
}

/** Bytewise comparison of two byte strings: negative, zero or positive. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return compareBytesTo(a, b, b.length)
}

/**
 * compareBytes(a, b[0, bLength)) without a view of b: for a caller that keeps a key in a reused
 * buffer longer than the key (a builder's last key, a compaction's current key).
 */
export function compareBytesTo(a: Uint8Array, b: Uint8Array, bLength: number): number {
  const n = a.length < bLength ? a.length : bLength
  for (let i = 0; i < n; i++) {
    const d = a[i] - b[i]
    if (d !== 0) return d
  }
  return a.length - bLength
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return bytesEqualTo(a, b, b.length)
}

/** bytesEqual(a, b[0, bLength)) without a view of b (see compareBytesTo). */
export function bytesEqualTo(a: Uint8Array, b: Uint8Array, bLength: number): boolean {
  if (a.length !== bLength) return false
  for (let i = 0; i < bLength; i++) if (a[i] !== b[i]) return false
  return true
}

/** Order of two (userKey, seq, kind) triples as defined above. */
export function compareInternal(
  aKey: Uint8Array, aSeq: number, aKind: number,
  bKey: Uint8Array, bSeq: number, bKind: number,
): number {
  const c = compareBytes(aKey, bKey)
  if (c !== 0) return c
  if (aSeq !== bSeq) return aSeq > bSeq ? -1 : 1
  return bKind - aKind
}

/** Writes the 8-byte trailer at `offset`. */
export function writeTrailer(buf: Uint8Array, offset: number, seq: number, kind: number): void {
  const t = seq * 256 + kind
  const lo = t % 0x1_0000_0000
  const hi = (t - lo) / 0x1_0000_0000
  buf[offset] = lo & 0xff
  buf[offset + 1] = (lo >>> 8) & 0xff
  buf[offset + 2] = (lo >>> 16) & 0xff
  buf[offset + 3] = lo >>> 24
  buf[offset + 4] = hi & 0xff
  buf[offset + 5] = (hi >>> 8) & 0xff
  buf[offset + 6] = (hi >>> 16) & 0xff
  buf[offset + 7] = hi >>> 24
}

/** Reads the trailer at `offset` as seq * 256 + kind. */
export function readTrailer(buf: Uint8Array, offset: number): number {
  const lo = (buf[offset] | (buf[offset + 1] << 8) | (buf[offset + 2] << 16) | (buf[offset + 3] << 24)) >>> 0
  const hi = (buf[offset + 4] | (buf[offset + 5] << 8) | (buf[offset + 6] << 16) | (buf[offset + 7] << 24)) >>> 0
  return hi * 0x1_0000_0000 + lo
}

export function trailerSeq(trailer: number): number {
  return Math.floor(trailer / 256)
}

export function trailerKind(trailer: number): number {
  return trailer % 256
}

/** userKey || trailer as a new array. */
export function encodeInternalKey(userKey: Uint8Array, seq: number, kind: number): Uint8Array {
  const out = new Uint8Array(userKey.length + TRAILER_SIZE)
  out.set(userKey, 0)
  writeTrailer(out, userKey.length, seq, kind)
  return out
}

/** Splits an encoded internal key. The returned userKey is a view valid as long as `ikey`. */
export function decodeInternalKey(ikey: Uint8Array): { userKey: Uint8Array; seq: number; kind: number } {
  const n = ikey.length - TRAILER_SIZE
  const t = readTrailer(ikey, n)
  return { userKey: ikey.subarray(0, n), seq: trailerSeq(t), kind: trailerKind(t) }
}
