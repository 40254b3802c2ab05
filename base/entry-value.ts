// Stored values by kind: what an internal entry's value bytes hold, and the header that entries
// with an expiry time or user metadata carry in front of their value.
//
// Kinds ValueWithHeader and ValuePointerWithHeader store:
//   varint expiresAt (ms since the Unix epoch, 0 = never) | u8 meta | payload
// where the payload is the inline value or the encoded value pointer. The header lives in the
// LSM entry, not in the value log, so expiry is known without reading a value: keys-only
// iteration, compaction and value-log GC all decide on it alone. Plain Value/ValuePointer
// entries (the common case) carry no header and cost nothing extra.

import { Kind } from './internal-key.js'
import { readVarint, varintLength, writeVarint } from './varint.js'

/** Whether the entry's payload is a value-log pointer. */
export function isPointerKind(kind: number): boolean {
  return kind === Kind.ValuePointer || kind === Kind.ValuePointerWithHeader
}

export function hasHeader(kind: number): boolean {
  return kind === Kind.ValueWithHeader || kind === Kind.ValuePointerWithHeader
}

/** The kind that stores the same payload with a header (or without one). */
export function withHeaderKind(pointer: boolean, header: boolean): number {
  if (pointer) return header ? Kind.ValuePointerWithHeader : Kind.ValuePointer
  return header ? Kind.ValueWithHeader : Kind.Value
}

export function encodeHeaderedValue(expiresAt: number, meta: number, payload: Uint8Array): Uint8Array {
  const n = varintLength(expiresAt)
  const out = new Uint8Array(n + 1 + payload.length)
  writeVarint(out, 0, expiresAt)
  out[n] = meta
  out.set(payload, n + 1)
  return out
}

const cursor = { offset: 0 }

/** Header length of a headered value, or -1 when the bytes cannot hold one. */
function headerLength(value: Uint8Array): number {
  cursor.offset = 0
  if (readVarint(value, cursor) < 0 || cursor.offset >= value.length) return -1
  return cursor.offset + 1
}

/** The payload (inline value or pointer bytes) of an entry of any value kind: a view. */
export function entryPayload(kind: number, value: Uint8Array): Uint8Array {
  if (!hasHeader(kind)) return value
  const n = headerLength(value)
  return n < 0 ? value.subarray(value.length) : value.subarray(n)
}

/** When the entry expires (ms since the epoch), or 0 for never. */
export function entryExpiresAt(kind: number, value: Uint8Array): number {
  if (!hasHeader(kind)) return 0
  cursor.offset = 0
  const t = readVarint(value, cursor)
  return t < 0 ? 0 : t
}

export function entryMeta(kind: number, value: Uint8Array): number {
  if (!hasHeader(kind)) return 0
  const n = headerLength(value)
  return n < 0 ? 0 : value[n - 1]
}

/** The same header (expiry and metadata) in front of another payload: a value moving to a pointer. */
export function replacePayload(kind: number, value: Uint8Array, payload: Uint8Array): Uint8Array {
  const header = value.length - entryPayload(kind, value).length
  const out = new Uint8Array(header + payload.length)
  out.set(value.subarray(0, header))
  out.set(payload, header)
  return out
}

/** Whether a headered value is well formed (a payload may be empty, the header may not). */
export function isValidHeaderedValue(value: Uint8Array): boolean {
  return headerLength(value) > 0
}

/** Whether the entry is a deletion or has expired at `now`. */
export function isDeadEntry(kind: number, value: Uint8Array, now: number): boolean {
  if (kind === Kind.Delete) return true
  if (!hasHeader(kind)) return false
  const t = entryExpiresAt(kind, value)
  return t !== 0 && t <= now
}
