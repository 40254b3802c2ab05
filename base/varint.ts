// Unsigned LEB128 varints for lengths and numbers up to 2^53 (7 bits per byte, low bits first).

/** Bytes needed to encode `v`. */
export function varintLength(v: number): number {
  let n = 1
  while (v >= 0x80) {
    v = Math.floor(v / 128)
    n++
  }
  return n
}

/** Writes `v` at `offset`; returns the offset after it. requires: room for varintLength(v) bytes. */
export function writeVarint(buf: Uint8Array, offset: number, v: number): number {
  while (v >= 0x80) {
    buf[offset++] = (v % 128) | 0x80
    v = Math.floor(v / 128)
  }
  buf[offset++] = v
  return offset
}

/**
 * Reads a varint at `offset`. Returns the value and sets `cursor.offset` past it; returns -1 when the
 * bytes end early (at `end`, default the array's end) or the varint is longer than 8 bytes (callers
 * turn that into a CorruptionError).
 */
export function readVarint(buf: Uint8Array, cursor: { offset: number }, end = buf.length): number {
  let result = 0
  let mul = 1
  let o = cursor.offset
  for (let i = 0; i < 8; i++) {
    if (o >= end) return -1
    const b = buf[o++]
    result += (b & 0x7f) * mul
    if (b < 0x80) {
      cursor.offset = o
      return result
    }
    mul *= 128
  }
  return -1
}
