// Reads one block from a table file: the stored bytes and trailer in one read(), the checksum
// checked before anything else looks at them, then decompression.

import { CorruptionError } from '../base/errors.js'
import type { ReadableFile } from '../base/fs.js'
import { BLOCK_TRAILER_SIZE, Compression, checkBlockTrailer, type BlockHandle } from './format.js'
import { lz4DecompressBlock } from './lz4.js'

/** The block's contents, decompressed. Throws CorruptionError(file, h.offset, ...) on bad bytes. */
export function readBlockContents(file: ReadableFile, h: BlockHandle): Uint8Array {
  const raw = file.read(h.offset, h.length + BLOCK_TRAILER_SIZE)
  const type = checkBlockTrailer(file.path, h.offset, raw, h.length)
  if (type === Compression.None) return raw.subarray(0, h.length)
  if (type === Compression.Lz4) return lz4DecompressBlock(file.path, h.offset, raw.subarray(0, h.length))
  throw new CorruptionError(file.path, h.offset, `unknown compression type ${type}`)
}
