// LZ4 for data blocks. Compression goes through lz4-napi's synchronous block API (~3.6 µs to
// compress 4 KiB); its block output, stored as is, is a u32 little-endian uncompressed length
// followed by one raw LZ4 block. Decompression is done here, in JS, into an array the caller
// chooses: lz4-napi can only return a fresh Buffer per call (there is no decompress-into API in
// 2.x), and a random read that misses the block cache then left 4 KiB of native memory behind
// per call until V8 collected the Buffer's wrapper, which it does only once ~64 MiB of such
// memory has piled up (measured: the main thread's malloc heap at cache + ~65 MiB during random
// gets). Decoding into a reused buffer leaves nothing behind; a 4 KiB block of 100 B values
// decodes in ~2.3 µs, lz4-napi's uncompressSync took ~3.6 µs on the same block.
//
// Must never: read or write outside the stored block or the output range it is given, or return
// a block of another length than its header says; every such case is a CorruptionError.

import { compressSync } from 'lz4-napi'
import { CorruptionError } from '../base/errors.js'

/** The stored form of `raw`: u32 LE length + LZ4 block. Owned by the caller. */
export function lz4CompressBlock(raw: Uint8Array): Uint8Array {
  return compressSync(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength))
}

/** The decoded length a stored lz4 block's header claims (checked against the decode). */
export function lz4DecodedLength(file: string, offset: number, stored: Uint8Array, from = 0, end = stored.length): number {
  if (end - from < 4) throw new CorruptionError(file, offset, `lz4 block of ${end - from} bytes has no length`)
  return (stored[from] | (stored[from + 1] << 8) | (stored[from + 2] << 16) | (stored[from + 3] << 24)) >>> 0
}

/** Decodes a stored lz4 block into an array of its own; any mismatch is a CorruptionError at `offset` in `file`. */
export function lz4DecompressBlock(file: string, offset: number, stored: Uint8Array): Uint8Array {
  const out = new Uint8Array(lz4DecodedLength(file, offset, stored))
  lz4DecodeInto(file, offset, stored, 0, stored.length, out, 0)
  return out
}

/** Literal runs and matches longer than this are copied by copyWithin/set, shorter ones byte by byte (measured fastest on 4 KiB blocks). */
const BULK_COPY = 16

/**
 * Decodes the stored block src[from, end) (length header included) into
 * dst[at, at + decoded length), and returns that length. `dst` may be `src` itself when the two
 * ranges do not overlap (literals are then moved with copyWithin, without a view per run).
 * Throws CorruptionError when the block does not decode to exactly the length its header says.
 */
export function lz4DecodeInto(file: string, offset: number, src: Uint8Array, from: number, end: number, dst: Uint8Array, at: number): number {
  const d = shared.start(file, offset, src, from, end, dst, at)
  d.decodeTo(d.length)
  return d.length
}

/**
 * An LZ4 block decoded as far as asked, then further on demand: a point lookup that finds its
 * entry halfway through a block decodes only that half (the rest of the block is never needed;
 * its stored bytes were checksummed whole before decoding began). The output already decoded,
 * dst[at, at + decoded), never changes once written.
 */
export class Lz4Decoder {
  private file = ''
  private offset = 0
  private src: Uint8Array = new Uint8Array(0)
  private dst: Uint8Array = new Uint8Array(0)
  private same = false
  /** Next stored byte to read, and where the stored block ends. */
  private p = 0
  private end = 0
  /** Where the output starts, the next output byte, and where the output must end. */
  private at = 0
  private o = 0
  private outEnd = 0

  /** Decoded bytes so far. */
  get decoded(): number {
    return this.o - this.at
  }

  /** The decoded length the block's header claims (what decodeTo(length) ends with, or throws). */
  get length(): number {
    return this.outEnd - this.at
  }

  /** The output array: the decoded bytes are output[outputStart, outputStart + decoded). */
  get output(): Uint8Array {
    return this.dst
  }

  get outputStart(): number {
    return this.at
  }

  /** Starts decoding src[from, end) into dst at `at`, as lz4DecodeInto would (same requirements). */
  start(file: string, offset: number, src: Uint8Array, from: number, end: number, dst: Uint8Array, at: number): this {
    const want = lz4DecodedLength(file, offset, src, from, end)
    const outEnd = at + want
    if (outEnd > dst.length) throw new Error(`lz4DecodeInto: ${want} bytes do not fit at ${at} of ${dst.length}`)
    const same = src === dst
    if (same && at < end && from < outEnd) throw new Error('lz4DecodeInto: input and output overlap')
    this.file = file
    this.offset = offset
    this.src = src
    this.dst = dst
    this.same = same
    this.p = from + 4
    this.end = end
    this.at = at
    this.o = at
    this.outEnd = outEnd
    if (this.p === end && want !== 0) bad(file, offset, 'runs past its end')
    return this
  }

  /**
   * Decodes whole sequences until at least `need` bytes (at most the block's length) are
   * decoded. Once the last sequence is decoded, checks that the block decoded to exactly its
   * length. Throws CorruptionError on any bad byte met on the way.
   */
  decodeTo(need: number): void {
    const { src, dst, same, end, at, outEnd, file, offset } = this
    // Asked for everything: every stored byte is read, so trailing bytes are caught too.
    const all = need >= outEnd - at
    const stop = at + need
    let p = this.p
    let o = this.o
    while (p < end && (all || o < stop)) {
      const token = src[p++]
      let lit = token >>> 4
      if (lit === 15) {
        let b = 255
        while (b === 255) {
          if (p >= end) return bad(file, offset, 'literal length runs past its end')
          b = src[p++]
          lit += b
        }
      }
      if (p + lit > end || o + lit > outEnd) return bad(file, offset, 'literal run past the block')
      if (lit > BULK_COPY) {
        if (same) dst.copyWithin(o, p, p + lit)
        else dst.set(src.subarray(p, p + lit), o)
        o += lit
        p += lit
      } else {
        const e = p + lit
        while (p < e) dst[o++] = src[p++]
      }
      // The last sequence is literals only.
      if (p === end) break
      if (p + 2 > end) return bad(file, offset, 'match offset past its end')
      const off = src[p] | (src[p + 1] << 8)
      p += 2
      if (off === 0 || off > o - at) return bad(file, offset, `match offset ${off} before the block's start`)
      let ml = token & 15
      if (ml === 15) {
        let b = 255
        while (b === 255) {
          if (p >= end) return bad(file, offset, 'match length runs past its end')
          b = src[p++]
          ml += b
        }
      }
      ml += 4
      if (o + ml > outEnd) return bad(file, offset, 'match past the block')
      let m = o - off
      if (ml > BULK_COPY && off >= ml) {
        dst.copyWithin(o, m, m + ml)
        o += ml
      } else {
        // Overlapping (off < ml) repeats what it is writing: byte by byte, forward.
        const e = o + ml
        while (o < e) dst[o++] = dst[m++]
      }
      if (p === end) return bad(file, offset, 'runs past its end')
    }
    this.p = p
    this.o = o
    if (p === end && o !== outEnd) bad(file, offset, `decodes to ${o - at} bytes, its header says ${outEnd - at}`)
  }
}

/** lz4DecodeInto's decoder: everything it does is synchronous, so one per thread serves every call. */
const shared = new Lz4Decoder()

function bad(file: string, offset: number, what: string): never {
  throw new CorruptionError(file, offset, `lz4 block does not decode: ${what}`)
}
