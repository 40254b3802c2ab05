// The checksum used by every on-disk record and block: CRC-32 (IEEE 802.3 polynomial), as
// computed by node:zlib's built-in crc32 (~5 GB/s, no dependency), stored masked.
//
// Masking (rotate right 15 and add a constant, as LevelDB does) keeps the CRC of a byte string
// that itself contains an embedded CRC from being trivially related to it.

import { crc32 as zlibCrc32 } from 'node:zlib'

const MASK_DELTA = 0xa282ead8

/** Plain CRC-32 of `data`, continuing from `initial` when given. */
export function crc32(data: Uint8Array, initial = 0): number {
  return zlibCrc32(data, initial) >>> 0
}

export function maskChecksum(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + MASK_DELTA) >>> 0
}

export function unmaskChecksum(masked: number): number {
  const rot = (masked - MASK_DELTA) >>> 0
  return ((rot >>> 17) | (rot << 15)) >>> 0
}

/** The masked checksum as stored on disk. */
export function checksum(data: Uint8Array): number {
  return maskChecksum(crc32(data))
}
