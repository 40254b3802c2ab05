// LZ4 for data blocks, both ways in JS. The stored form of a block is a u32 little-endian
// uncompressed length followed by one raw LZ4 block (what lz4-napi's compressSync wrote, which
// older tables hold; the decoder reads either).
//
// Compression is done here, into an array the caller chooses (the table builder's output buffer,
// reused for every block): lz4-napi's compressSync returned a fresh Buffer per block whose Rust
// allocation V8 neither counts nor frees before the Buffer's finalizer runs on a later turn, so
// a long run of blocks piles them up in the calling thread's malloc arena (measured: 100k
// synchronous calls on 4 KiB blocks took the RSS to 233 MiB with 10 MiB reported external). Not
// loading the addon also takes ~4 MiB off the RSS of a process that imports the engine (issue #14).
//
// Decompression is done here, in JS, into an array the caller chooses: lz4-napi can only return
// a fresh Buffer per call (there is no decompress-into API in 2.x), and a random read that misses
// the block cache then left 4 KiB of native memory behind per call until V8 collected the
// Buffer's wrapper, which it does only once ~64 MiB of such memory has piled up (measured: the
// main thread's malloc heap at cache + ~65 MiB during random gets). Decoding into a reused buffer
// leaves nothing behind; a 4 KiB block of 100 B values decodes in ~2.3 µs, lz4-napi's
// uncompressSync took ~3.6 µs on the same block.
//
// Must never: read or write outside the stored block or the output range it is given, or return
// a block of another length than its header says; every such case is a CorruptionError. The
// compressor must never write past the bound lz4CompressBound() gives for its input.

import { CorruptionError } from '../base/errors.js'

/** Most bytes the stored form of `n` raw bytes takes (LZ4_compressBound, plus the u32 length). */
export function lz4CompressBound(n: number): number {
  return 4 + n + Math.floor(n / 255) + 16
}

/** The stored form of `raw`: u32 LE length + LZ4 block, in an array of its own. */
export function lz4CompressBlock(raw: Uint8Array): Uint8Array {
  const out = new Uint8Array(lz4CompressBound(raw.length))
  return out.slice(0, lz4CompressInto(raw, out, 0))
}

/** A match's shortest length, and the block's tail that LZ4 keeps as literals (the format's rules). */
const MIN_MATCH = 4
const LAST_LITERALS = 5
const MF_LIMIT = 12
const MAX_OFFSET = 65535
const HASH_LOG = 12
/**
 * Positions of the last 4-byte sequence seen per hash, as tableBase + position + 1 (0: none). One
 * per thread: compression is synchronous. 4096 slots: a 4 KiB block has at most as many
 * positions, and larger ones only find fewer matches. Each call moves tableBase past every slot
 * it wrote, so a slot from an earlier call reads as a position before `from` and is skipped,
 * without clearing 16 KiB per block (1.6% of a table build's CPU). Leaving stale slots in place
 * instead, verified by their bytes, made compression ~70% slower: most positions then pay a
 * comparison where an empty slot pays none.
 */
const table = new Int32Array(1 << HASH_LOG)
let tableBase = 0
/** tableBase is reset (and the table cleared) before it can overflow an Int32 slot. */
export const TABLE_BASE_LIMIT = 2 ** 30

/** For tests: starts the next compression at this tableBase (to cross TABLE_BASE_LIMIT without compressing a GiB first). */
export function setLz4TableBaseForTests(base: number): void {
  tableBase = base
}

/**
 * Writes the stored form of `raw` (u32 LE length + LZ4 block) into dst at `at`, and returns its
 * length. requires: dst has lz4CompressBound(raw.length) bytes from `at`. Greedy LZ4 (one hash
 * probe per position, skipping faster through bytes that do not match, as LZ4's fast mode):
 * measured within a few per cent of lz4-napi's ratio on 4 KiB blocks of 100 B values.
 */
export function lz4CompressInto(raw: Uint8Array, dst: Uint8Array, at: number): number {
  const n = raw.length
  if (dst.length - at < lz4CompressBound(n)) throw new Error(`lz4CompressInto: ${dst.length - at} bytes cannot hold ${n} compressed`)
  dst[at] = n & 255
  dst[at + 1] = (n >>> 8) & 255
  dst[at + 2] = (n >>> 16) & 255
  dst[at + 3] = (n >>> 24) & 255
  return 4 + lz4CompressRangeInto(raw, 0, n, dst, at + 4)
}

/**
 * Writes raw[from, to) as one raw LZ4 block (no length header) into dst at `at`, and returns its
 * length: matches never reach before `from`, so the block decodes on its own.
 * requires: dst has lz4CompressBound(to - from) - 4 bytes from `at`.
 */
export function lz4CompressRangeInto(raw: Uint8Array, from: number, to: number, dst: Uint8Array, at: number): number {
  const n = to - from
  let o = at
  let anchor = from
  if (n >= MF_LIMIT + 1) {
    if (tableBase + to >= TABLE_BASE_LIMIT) {
      table.fill(0)
      tableBase = 0
    }
    const base = tableBase + 1
    tableBase += to + 1
    const view = new DataView(raw.buffer, raw.byteOffset, to)
    const mfLimit = to - MF_LIMIT
    const matchLimit = to - LAST_LITERALS
    let ip = from
    let misses = 0
    while (ip < mfLimit) {
      const seq = view.getInt32(ip, true)
      const h = Math.imul(seq, 2654435761) >>> (32 - HASH_LOG)
      const ref = table[h] - base
      table[h] = ip + base
      if (ref < from || ip - ref > MAX_OFFSET || view.getInt32(ref, true) !== seq) {
        // Each 64 misses in a row step one byte further: incompressible stretches go fast.
        ip += 1 + (misses++ >> 6)
        continue
      }
      misses = 0
      // Back over equal bytes before the match (not past the last sequence's end), then forward.
      let start = ip
      let back = ref
      while (start > anchor && back > from && raw[start - 1] === raw[back - 1]) {
        start--
        back--
      }
      let e = ip + MIN_MATCH
      let r = ref + MIN_MATCH
      while (e < matchLimit && raw[e] === raw[r]) {
        e++
        r++
      }
      o = writeSequence(raw, anchor, start, dst, o, ip - ref, e - start)
      anchor = e
      ip = e
      // The position two back gets a slot too: the next match often starts near this one's end.
      if (ip < mfLimit) table[Math.imul(view.getInt32(ip - 2, true), 2654435761) >>> (32 - HASH_LOG)] = ip - 2 + base
    }
  }
  // The last sequence: literals only.
  return writeLiterals(raw, anchor, to, dst, o, 0) - at
}

/** One sequence: literals raw[anchor, start), then a match `length` bytes long at `offset` back. */
function writeSequence(raw: Uint8Array, anchor: number, start: number, dst: Uint8Array, o: number, offset: number, length: number): number {
  const ml = length - MIN_MATCH
  o = writeLiterals(raw, anchor, start, dst, o, ml >= 15 ? 15 : ml)
  dst[o++] = offset & 255
  dst[o++] = offset >>> 8
  if (ml >= 15) o = writeLength(dst, o, ml - 15)
  return o
}

/** A token (literal length, and `matchNibble` in its low bits), the literal length's extra bytes, and the literals. */
function writeLiterals(raw: Uint8Array, from: number, to: number, dst: Uint8Array, o: number, matchNibble: number): number {
  const lit = to - from
  dst[o++] = ((lit >= 15 ? 15 : lit) << 4) | matchNibble
  if (lit >= 15) o = writeLength(dst, o, lit - 15)
  if (lit > BULK_COPY) {
    dst.set(raw.subarray(from, to), o)
    o += lit
  } else {
    for (let i = from; i < to; i++) dst[o++] = raw[i]
  }
  return o
}

/** The bytes past a 15 nibble: 255s, then the rest. */
function writeLength(dst: Uint8Array, o: number, rest: number): number {
  while (rest >= 255) {
    dst[o++] = 255
    rest -= 255
  }
  dst[o++] = rest
  return o
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
    return this.startRaw(file, offset, src, from + 4, end, dst, at, lz4DecodedLength(file, offset, src, from, end))
  }

  /**
   * start() of a raw LZ4 block src[from, end) with no length header, that must decode to exactly
   * `want` bytes (one chunk of a type 2 block: lz4-chunks.ts).
   */
  startRaw(file: string, offset: number, src: Uint8Array, from: number, end: number, dst: Uint8Array, at: number, want: number): this {
    const outEnd = at + want
    if (outEnd > dst.length) throw new Error(`lz4DecodeInto: ${want} bytes do not fit at ${at} of ${dst.length}`)
    const same = src === dst
    if (same && at < end && from < outEnd) throw new Error('lz4DecodeInto: input and output overlap')
    this.file = file
    this.offset = offset
    this.src = src
    this.dst = dst
    this.same = same
    this.p = from
    this.end = end
    this.at = at
    this.o = at
    this.outEnd = outEnd
    if (this.p === end && want !== 0) bad(file, offset, 'runs past its end')
    return this
  }

  /** Whether every stored byte is decoded (the output then has exactly its length). */
  get finished(): boolean {
    return this.p === this.end
  }

  /** Where a seek in this block starts scanning: the first entry (a type 2 block may skip ahead). */
  scanStartFor(_userKey: Uint8Array, _trailer: number): number {
    return this.at
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
