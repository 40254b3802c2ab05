// The checksum used by every on-disk record and block: CRC-32 (IEEE 802.3 polynomial), stored
// masked. Only computes; never decides what a mismatch means.
//
// Two implementations of the same function: @node-rs/crc32 (prebuilt, carry-less multiply on x86-64
// and the CRC instructions on arm64: ~16 GB/s on 64 KiB here, ~80 ns a call on 64 B) and node:zlib's
// built-in crc32 (Node 20's bundled zlib is built without its SIMD path: ~7 GB/s, ~120 ns a call).
// Every read of a block or value-log entry checks one, so at 64 KiB the faster one is ~5 µs of a
// ~20 µs point read (bench/RESULTS.md, issue #14). Both give the same value for the same bytes, so
// which one ran is invisible on disk; zlib's is used where the addon does not load (a platform it has
// no binary for) or when SETT_CRC32=zlib is set.
//
// Masking (rotate right 15 and add a constant, as LevelDB does) keeps the CRC of a byte string
// that itself contains an embedded CRC from being trivially related to it.

import { createRequire } from 'node:module'
import { crc32 as zlibCrc32 } from 'node:zlib'

const MASK_DELTA = 0xa282ead8

type Crc32Function = (data: Uint8Array, initial?: number) => number

/** Which implementation `crc32` runs: 'node-rs' or 'zlib'. */
export let crc32Implementation: 'node-rs' | 'zlib' = 'zlib'

/**
 * The addon's crc32 when `load` returns a module whose crc32 agrees with zlib's on a known input,
 * else undefined. A loader that throws (no binary for this platform, a broken install) is not an
 * error: zlib's function is the same checksum.
 */
export function loadFastCrc32(load: () => unknown): Crc32Function | undefined {
  try {
    const mod = load() as { crc32?: unknown } | null
    const fn = mod?.crc32
    if (typeof fn !== 'function') return undefined
    const probe = Uint8Array.of(0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39)
    // 0xcbf43926 is CRC-32 of "123456789", the polynomial's published check value.
    if ((fn as Crc32Function)(probe) >>> 0 !== 0xcbf43926) return undefined
    if ((fn as Crc32Function)(probe.subarray(4), zlibCrc32(probe.subarray(0, 4))) >>> 0 !== 0xcbf43926) return undefined
    return fn as Crc32Function
  } catch {
    return undefined
  }
}

const fast = process.env.SETT_CRC32 === 'zlib'
  ? undefined
  : loadFastCrc32(() => createRequire(import.meta.url)('@node-rs/crc32'))
if (fast !== undefined) crc32Implementation = 'node-rs'
const impl: Crc32Function = fast ?? zlibCrc32

/** Plain CRC-32 of `data`, continuing from `initial` when given. */
export function crc32(data: Uint8Array, initial = 0): number {
  return impl(data, initial) >>> 0
}

// The CRC-32 table (reflected polynomial 0xedb88320), for crc32Byte.
const CRC_TABLE = (() => {
  const t = new Int32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    t[n] = c
  }
  return t
})()

/**
 * crc32(Uint8Array.of(byte), initial) without the array: a table block's checksum covers its
 * stored bytes and then its type byte (sstable/format.ts), and an array per block written was
 * one more allocation per block in every flush and compaction.
 */
export function crc32Byte(byte: number, initial = 0): number {
  const c = ~initial
  return ~(CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8)) >>> 0
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
