// Reads one block from a table file: the stored bytes and trailer in one read, the checksum
// checked before anything else looks at them, then decompression.
//
// A compressed block is read into one scratch buffer shared by every table of this thread and
// decompressed out of it at once, so a block-cache miss allocates only the decoded block. This
// is safe because everything between the read and the end of decompression is synchronous:
// nothing else can read into the scratch buffer meanwhile. What leaves this file never points
// into it.

import { CorruptionError } from '../base/errors.js'
import type { ReadableFile } from '../base/fs.js'
import { BLOCK_TRAILER_SIZE, Compression, checkBlockTrailer, type BlockHandle } from './format.js'
import { lz4DecompressBlock } from './lz4.js'

let scratch = new Uint8Array(64 * 1024)
// Larger blocks (big inline values) are read into arrays of their own, so that one huge block
// does not leave a huge scratch buffer behind for the life of the thread.
const SCRATCH_MAX = 1024 * 1024

/**
 * The block's contents, decompressed, in an array of its own (the caller may keep it). Throws
 * CorruptionError(file, h.offset, ...) on bad bytes.
 */
export function readBlockContents(file: ReadableFile, h: BlockHandle): Uint8Array {
  const size = h.length + BLOCK_TRAILER_SIZE
  const inScratch = file.readInto !== undefined && size <= SCRATCH_MAX
  let raw: Uint8Array
  if (inScratch) {
    if (scratch.length < size) scratch = new Uint8Array(Math.max(size, scratch.length * 2))
    raw = scratch.subarray(0, file.readInto!(h.offset, size, scratch))
  } else {
    raw = file.read(h.offset, size)
  }
  const type = checkBlockTrailer(file.path, h.offset, raw, h.length)
  if (type === Compression.Lz4) return lz4DecompressBlock(file.path, h.offset, raw.subarray(0, h.length))
  if (type === Compression.None) return inScratch ? raw.slice(0, h.length) : raw.subarray(0, h.length)
  throw new CorruptionError(file.path, h.offset, `unknown compression type ${type}`)
}
