// LZ4 for data blocks through lz4-napi's synchronous block API (~3.6 µs to compress 4 KiB).
// Its block output, stored as is, is a u32 little-endian uncompressed length followed by one
// raw LZ4 block. lz4-napi does not check that length against what it decodes (measured: a
// 16-byte claim over a 1-byte payload returns 1 byte, no error), so the reader does.

import { compressSync, uncompressSync } from 'lz4-napi'
import { CorruptionError } from '../base/errors.js'

/** The stored form of `raw`: u32 LE length + LZ4 block. Owned by the caller. */
export function lz4CompressBlock(raw: Uint8Array): Uint8Array {
  return compressSync(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength))
}

/** Decodes a stored lz4 block; any mismatch is a CorruptionError at `offset` in `file`. */
export function lz4DecompressBlock(file: string, offset: number, stored: Uint8Array): Uint8Array {
  if (stored.length < 4) throw new CorruptionError(file, offset, `lz4 block of ${stored.length} bytes has no length`)
  const want = (stored[0] | (stored[1] << 8) | (stored[2] << 16) | (stored[3] << 24)) >>> 0
  let out: Uint8Array
  try {
    out = uncompressSync(stored)
  } catch (err) {
    throw new CorruptionError(file, offset, `lz4 block does not decode: ${(err as Error).message}`)
  }
  if (out.length !== want) {
    throw new CorruptionError(file, offset, `lz4 block decodes to ${out.length} bytes, its header says ${want}`)
  }
  // lz4-napi returns a Buffer, whose slice() is a view; blocks are plain Uint8Arrays so that a
  // slice() of a key or value read from one is the copy it looks like.
  return new Uint8Array(out.buffer, out.byteOffset, out.length)
}
