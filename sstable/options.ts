// The table writer's narrow options (engine/ builds them from its own Options), their
// defaults and their validation.

import { InvalidArgumentError } from '../base/errors.js'

export interface TableWriterOptions {
  /**
   * Target size in bytes of a data block before compression; a block is cut once it reaches
   * this. Default 4096: one page, the unit a point read fetches and the block cache holds.
   */
  blockSize?: number
  /**
   * Entries between restart points (entries stored with their whole key). Default 16: more
   * means better prefix compression, fewer means less decoding per seek.
   */
  restartInterval?: number
  /** Bloom filter bits per distinct user key; 0 writes no filter. Default 10 (~0.8% false positives). */
  bloomBitsPerKey?: number
  /** Compression of data blocks. Default 'lz4'; a block that shrinks by less than 1/8 is stored raw. */
  compression?: 'lz4' | 'none'
  /**
   * Table format version to write (docs/format.md, Tables). Default 3: lz4 data blocks as chunks
   * (lz4-chunks.ts), with a restart at least every 1 KiB, and a blocked bloom filter (bloom.ts).
   * 2 writes the plain filter; 1 also one LZ4 block per data block and restarts by count only:
   * what older readers read, for tests of old tables.
   */
  formatVersion?: 1 | 2 | 3
}

export type ResolvedTableWriterOptions = Required<TableWriterOptions>

export const DEFAULT_TABLE_WRITER_OPTIONS: Readonly<ResolvedTableWriterOptions> = {
  blockSize: 4096,
  restartInterval: 16,
  bloomBitsPerKey: 10,
  compression: 'lz4',
  formatVersion: 3,
}

function checkInteger(name: string, v: number, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new InvalidArgumentError(`${name} must be an integer in [${min}, ${max}], got ${v}`)
  }
}

/** Fills in defaults and throws InvalidArgumentError for a value out of range. */
export function resolveTableWriterOptions(options: TableWriterOptions = {}): ResolvedTableWriterOptions {
  const d = DEFAULT_TABLE_WRITER_OPTIONS
  const o: ResolvedTableWriterOptions = {
    blockSize: options.blockSize ?? d.blockSize,
    restartInterval: options.restartInterval ?? d.restartInterval,
    bloomBitsPerKey: options.bloomBitsPerKey ?? d.bloomBitsPerKey,
    compression: options.compression ?? d.compression,
    formatVersion: options.formatVersion ?? d.formatVersion,
  }
  checkInteger('blockSize', o.blockSize, 1, 1 << 30)
  checkInteger('restartInterval', o.restartInterval, 1, 1 << 16)
  if (!(typeof o.bloomBitsPerKey === 'number' && o.bloomBitsPerKey >= 0 && o.bloomBitsPerKey <= 100)) {
    throw new InvalidArgumentError(`bloomBitsPerKey must be a number in [0, 100], got ${o.bloomBitsPerKey}`)
  }
  if (o.compression !== 'lz4' && o.compression !== 'none') {
    throw new InvalidArgumentError(`compression must be 'lz4' or 'none', got ${String(o.compression)}`)
  }
  if (o.formatVersion !== 1 && o.formatVersion !== 2 && o.formatVersion !== 3) {
    throw new InvalidArgumentError(`formatVersion must be 1, 2 or 3, got ${String(o.formatVersion)}`)
  }
  return o
}
