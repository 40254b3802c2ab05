// Block compression type 2, "lz4 chunks" (table format version 2, docs/format.md): a data block
// compressed as several LZ4 blocks, each starting at a restart point, so that a point lookup
// decodes only the chunk its key is in instead of the block up to its key.
//
//   stored := decodedLength:u32 chunkCount:varint (chunkDecoded:varint chunkStored:varint)^chunkCount chunk*
//
// Chunk i is one raw LZ4 block (no length header) of chunkStored_i bytes that decodes on its own
// (no match reaches before its start) to chunkDecoded_i bytes; the chunks, decoded one after
// another, are the block exactly as type 1 would hold it, restart array included (it ends the
// last chunk). Every chunk but the first starts at an offset listed in the restart array: an
// entry with shared = 0, whose key a lookup reads without the entries before it.
//
// Why (issue #14, 1M x 100 B compacted, random gets): most gets miss the block cache, and a miss
// decoded on average half of the 4 KiB block (~2 µs of LZ4 in JS) and walked every entry before
// its key. With ~1 KiB chunks a miss decodes part of one chunk and a few bytes of one or two
// others. Measured on 100 B values (CPU per get that misses the cache, a loaded machine): 512-byte
// chunks and 1 KiB ones ~15-20% below type 1, 2 KiB ones ~5%; the table grows by 9%, 4.5% and
// 1.3% (a chunk's first entry cannot refer back to the entries before it).
//
// Must never: read outside the stored block or write outside the output range; every malformed
// header, chunk or chunk start is a CorruptionError naming the file and the block's offset.

import { CorruptionError } from '../base/errors.js'
import { readTrailer } from '../base/internal-key.js'
import { Lz4Decoder, lz4CompressBound, lz4CompressRangeInto, lz4DecodedLength } from './lz4.js'

/** A chunk ends at the first restart at least this many bytes after its start (the writer's rule). */
export const CHUNK_BYTES = 1024

/** Most stored bytes `n` raw bytes in at most `chunks` chunks take. */
export function lz4ChunksBound(n: number, chunks: number): number {
  return lz4CompressBound(n) + chunks * (10 + 16)
}

// The writer's chunk starts and stored lengths, reused (compression is synchronous).
let starts = new Int32Array(64)
let storedLengths = new Int32Array(64)
let chunkScratch = new Uint8Array(8192)

/**
 * Writes the type 2 stored form of the finished data block `raw` (restart array included) into
 * dst at `at` and returns its length; chunks end at the first restart CHUNK_BYTES or more past
 * their start. requires: raw is a well-formed block; dst has lz4ChunksBound(raw.length,
 * restart count) bytes from `at`.
 */
export function lz4CompressChunksInto(raw: Uint8Array, dst: Uint8Array, at: number): number {
  const n = raw.length
  const restarts = readU32(raw, n - 4)
  const restartsAt = n - 4 - 4 * restarts
  if (starts.length < restarts + 1) {
    starts = new Int32Array(2 * (restarts + 1))
    storedLengths = new Int32Array(2 * (restarts + 1))
  }
  let count = 1
  starts[0] = 0
  for (let i = 1; i < restarts; i++) {
    const r = readU32(raw, restartsAt + 4 * i)
    if (r - starts[count - 1] >= CHUNK_BYTES) starts[count++] = r
  }
  starts[count] = n
  if (chunkScratch.length < lz4ChunksBound(n, count)) chunkScratch = new Uint8Array(2 * lz4ChunksBound(n, count))
  let total = 0
  for (let c = 0; c < count; c++) {
    const len = lz4CompressRangeInto(raw, starts[c], starts[c + 1], chunkScratch, total)
    storedLengths[c] = len
    total += len
  }
  let o = at
  dst[o++] = n & 255
  dst[o++] = (n >>> 8) & 255
  dst[o++] = (n >>> 16) & 255
  dst[o++] = (n >>> 24) & 255
  o = writeVarint(dst, o, count)
  for (let c = 0; c < count; c++) {
    o = writeVarint(dst, o, starts[c + 1] - starts[c])
    o = writeVarint(dst, o, storedLengths[c])
  }
  dst.set(chunkScratch.subarray(0, total), o)
  return o + total - at
}

/**
 * A type 2 block decoded as far as a lookup needs (the same surface as Lz4Decoder, which
 * BlockIter.seekGEDecoding walks): scanStartFor() picks the chunk to start at by the first keys of
 * a few chunks, then decodeTo() decodes forward from it, chunk after chunk. decodeTo(length)
 * decodes every chunk, those before the start too.
 */
export class Lz4ChunkDecoder {
  private file = ''
  private offset = 0
  private src: Uint8Array = new Uint8Array(0)
  private dst: Uint8Array = new Uint8Array(0)
  private at = 0
  private total = 0
  private count = 0
  /** Chunk c decodes to dst[at + dStart[c], at + dStart[c + 1]) from src[sStart[c], sStart[c + 1]). */
  private dStart = new Int32Array(64)
  private sStart = new Int32Array(64)
  /** The chunk being decoded (by `chunk`), and where the contiguous decoded output ends. */
  private current = 0
  private frontier = 0
  private readonly chunk = new Lz4Decoder()
  private readonly probe = new Lz4Decoder()

  get length(): number {
    return this.total
  }

  get output(): Uint8Array {
    return this.dst
  }

  get outputStart(): number {
    return this.at
  }

  /** Where the decoded output that the scan reads ends, from the block's start. */
  get decoded(): number {
    return this.frontier
  }

  /** Starts on the stored block src[from, end) (decoding nothing yet), to decode into dst at `at`. */
  start(file: string, offset: number, src: Uint8Array, from: number, end: number, dst: Uint8Array, at: number): this {
    const bad = (what: string): never => {
      throw new CorruptionError(file, offset, `lz4 chunks: ${what}`)
    }
    const total = lz4DecodedLength(file, offset, src, from, end)
    if (at + total > dst.length) throw new Error(`lz4 chunks: ${total} bytes do not fit at ${at} of ${dst.length}`)
    if (src === dst && at < end && from < at + total) throw new Error('lz4 chunks: input and output overlap')
    let p = from + 4
    const count = readVarintAt(src, p, end)
    p = varintEnd
    if (!(count >= 1 && count <= total + 1)) bad(`chunk count ${count}`)
    if (this.dStart.length < count + 1) {
      this.dStart = new Int32Array(2 * (count + 1))
      this.sStart = new Int32Array(2 * (count + 1))
    }
    let d = 0
    let s = 0
    for (let c = 0; c < count; c++) {
      this.dStart[c] = d
      this.sStart[c] = s
      const decoded = readVarintAt(src, p, end)
      const stored = decoded < 0 ? -1 : readVarintAt(src, varintEnd, end)
      if (stored < 0) bad(`chunk ${c}'s lengths run past the block`)
      p = varintEnd
      d += decoded
      s += stored
    }
    if (d !== total) bad(`chunks decode to ${d} bytes, the header says ${total}`)
    if (s !== end - p) bad(`chunks hold ${s} bytes, the block ${end - p} after its header`)
    for (let c = 0; c < count; c++) this.sStart[c] += p
    this.dStart[count] = total
    this.sStart[count] = end
    this.file = file
    this.offset = offset
    this.src = src
    this.dst = dst
    this.at = at
    this.total = total
    this.count = count
    this.current = 0
    this.frontier = 0
    this.startChunk(this.chunk, 0)
    return this
  }

  /**
   * Where a seek for (userKey, trailer) starts scanning (an output offset, like outputStart): the
   * start of the last chunk whose first key sorts before it, found by decoding a few bytes of
   * about log2(chunks) chunks; the first chunk when none does. Decoding then goes on from there.
   */
  scanStartFor(userKey: Uint8Array, trailer: number): number {
    let lo = 0
    let hi = this.count - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1
      if (this.firstKeyBefore(mid, userKey, trailer)) lo = mid
      else hi = mid - 1
    }
    if (lo !== 0) {
      this.current = lo
      this.frontier = this.dStart[lo]
      this.startChunk(this.chunk, lo)
    }
    return this.at + this.frontier
  }

  /**
   * Decodes until at least output[at, at + need) is decoded from the scan's start on (all of the
   * block, every chunk, once need >= length). Throws CorruptionError on a chunk that does not
   * decode to its stated length.
   */
  decodeTo(need: number): void {
    if (need >= this.total) return this.decodeAll()
    while (this.frontier < need) {
      const c = this.current
      const d = this.chunk
      d.decodeTo(need - this.dStart[c])
      this.frontier = this.dStart[c] + d.decoded
      if (this.frontier < need) {
        if (!d.finished) continue
        this.current = c + 1
        this.startChunk(d, c + 1)
      }
    }
  }

  private decodeAll(): void {
    // Chunks a probe or the scan decoded in part are decoded again from their start: the same
    // bytes, and only on the rare walk that falls back to the whole block.
    for (let c = 0; c < this.count; c++) this.startChunk(this.probe, c).decodeTo(this.dStart[c + 1] - this.dStart[c])
    this.current = this.count - 1
    this.frontier = this.total
    this.checkChunkStarts()
  }

  /** Every chunk but the first starts at a restart (a lookup reads its first entry as one). */
  private checkChunkStarts(): void {
    const d = this.dst
    const base = this.at
    const n = this.total
    if (n < 4) return
    const restarts = readU32(d, base + n - 4)
    // A bad restart array is Block.parse's to report.
    if (restarts < 1 || restarts > (n - 4) / 4) return
    const at = base + n - 4 - 4 * restarts
    let r = 0
    for (let c = 1; c < this.count; c++) {
      const want = this.dStart[c]
      while (r < restarts && readU32(d, at + 4 * r) < want) r++
      if (r === restarts || readU32(d, at + 4 * r) !== want) {
        throw new CorruptionError(this.file, this.offset, `lz4 chunks: chunk ${c} starts at ${want}, not at a restart`)
      }
    }
  }

  private startChunk(d: Lz4Decoder, c: number): Lz4Decoder {
    const s = this.sStart
    return d.startRaw(this.file, this.offset, this.src, s[c], s[c + 1], this.dst, this.at + this.dStart[c], this.dStart[c + 1] - this.dStart[c])
  }

  /**
   * Whether chunk c's first entry sorts before (userKey, trailer) in internal order. A first
   * entry that cannot be read as one with shared = 0 answers false (the scan then starts
   * earlier, where nothing is skipped; decoding the block whole reports the bad chunk).
   */
  private firstKeyBefore(c: number, userKey: Uint8Array, trailer: number): boolean {
    const chunkLength = this.dStart[c + 1] - this.dStart[c]
    const d = this.probe
    this.startChunk(d, c)
    d.decodeTo(chunkLength < 15 ? chunkLength : 15)
    const out = this.dst
    const base = this.at + this.dStart[c]
    const end = base + d.decoded
    if (end <= base || out[base] !== 0) return false
    const unshared = readVarintAt(out, base + 1, end)
    if (unshared < 0) return false
    const valueLength = readVarintAt(out, varintEnd, end)
    if (valueLength < 0 || unshared < 8) return false
    const keyStart = varintEnd
    const keyEnd = keyStart + unshared
    if (keyEnd - base > chunkLength) return false
    if (end < keyEnd) d.decodeTo(keyEnd - base)
    const ulen = unshared - 8
    const n = ulen < userKey.length ? ulen : userKey.length
    for (let i = 0; i < n; i++) {
      const diff = out[keyStart + i] - userKey[i]
      if (diff !== 0) return diff < 0
    }
    if (ulen !== userKey.length) return ulen < userKey.length
    // Equal user keys: a larger trailer (newer) sorts first.
    return readTrailer(out, keyStart + ulen) > trailer
  }
}

/** The end of the varint readVarintAt last read. */
let varintEnd = 0

/** The varint at buf[p] (before `end`), or -1 when it runs past end or is longer than 5 bytes. */
function readVarintAt(buf: Uint8Array, p: number, end: number): number {
  let v = 0
  let mul = 1
  for (let i = 0; i < 5; i++) {
    if (p >= end) return -1
    const b = buf[p++]
    v += (b & 0x7f) * mul
    if (b < 0x80) {
      varintEnd = p
      return v
    }
    mul *= 128
  }
  return -1
}

function writeVarint(buf: Uint8Array, o: number, v: number): number {
  while (v >= 0x80) {
    buf[o++] = (v & 0x7f) | 0x80
    v = Math.floor(v / 128)
  }
  buf[o++] = v
  return o
}

function readU32(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0
}

/** lz4ChunksDecodeInto's decoder: everything it does is synchronous, so one per thread serves every call. */
const shared = new Lz4ChunkDecoder()

/** Decodes the type 2 stored block src[from, end) into dst at `at` whole, and returns its length. */
export function lz4ChunksDecodeInto(file: string, offset: number, src: Uint8Array, from: number, end: number, dst: Uint8Array, at: number): number {
  const d = shared.start(file, offset, src, from, end, dst, at)
  d.decodeTo(d.length)
  return d.length
}

/** Decodes a type 2 stored block into an array of its own. */
export function lz4ChunksDecompressBlock(file: string, offset: number, stored: Uint8Array): Uint8Array {
  const out = new Uint8Array(lz4DecodedLength(file, offset, stored))
  lz4ChunksDecodeInto(file, offset, stored, 0, stored.length, out, 0)
  return out
}
