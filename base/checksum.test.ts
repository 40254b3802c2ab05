// The checksum's two implementations give one function: what the addon computes is what zlib
// computes, for any bytes, any view offset and any starting value, so a file written with one is
// read with the other.

import { createRequire } from 'node:module'
import { crc32 as zlibCrc32 } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { crc32, crc32Byte, crc32Implementation, loadFastCrc32, maskChecksum, unmaskChecksum } from './checksum.js'
import { mulberry32 } from './random.js'

const require = createRequire(import.meta.url)

describe('crc32', () => {
  it('runs the addon on this platform (linux x64 and arm64 have binaries)', () => {
    if (process.env.SETT_CRC32 === 'zlib') expect(crc32Implementation).toBe('zlib')
    else expect(crc32Implementation).toBe('node-rs')
  })

  it('equals zlib\'s CRC-32 on random bytes, offsets, lengths and starting values', () => {
    const next = mulberry32(14)
    const rnd = { nextInt: (n: number) => Math.floor(next() * n) }
    const backing = new Uint8Array(300_000)
    for (let i = 0; i < backing.length; i++) backing[i] = rnd.nextInt(256)
    for (let round = 0; round < 400; round++) {
      const start = rnd.nextInt(1000)
      const length = round % 4 === 0 ? rnd.nextInt(200_000) : rnd.nextInt(70)
      const view = backing.subarray(start, start + length)
      const initial = round % 3 === 0 ? 0 : rnd.nextInt(0x100000000)
      expect(crc32(view, initial)).toBe(zlibCrc32(view, initial) >>> 0)
    }
  })

  it('continues across pieces as one pass over the whole does', () => {
    const data = new TextEncoder().encode('the quick brown fox jumps over the lazy dog, twice over')
    for (let cut = 0; cut <= data.length; cut++) {
      expect(crc32(data.subarray(cut), crc32(data.subarray(0, cut)))).toBe(crc32(data))
    }
  })

  it('masks and unmasks as inverses', () => {
    for (const v of [0, 1, 0xcbf43926, 0xffffffff, 0x80000000]) expect(unmaskChecksum(maskChecksum(v))).toBe(v)
  })
})

describe('crc32Byte', () => {
  it('continues a CRC by one byte as crc32 of a one-byte array does', () => {
    let initial = 0
    for (let i = 0; i < 2000; i++) {
      const byte = (i * 37 + (initial & 0xff)) & 0xff
      expect(crc32Byte(byte, initial), `byte ${byte} after ${initial}`).toBe(zlibCrc32(Uint8Array.of(byte), initial) >>> 0)
      initial = zlibCrc32(Uint8Array.of(i & 0xff, byte), initial) >>> 0
    }
    expect(crc32Byte(0x61)).toBe(zlibCrc32(Uint8Array.of(0x61)) >>> 0)
  })
})

describe('loadFastCrc32', () => {
  it('takes the addon when it computes CRC-32', () => {
    const fn = loadFastCrc32(() => require('@node-rs/crc32'))
    expect(fn).toBeTypeOf('function')
  })

  it('falls back (undefined) when the loader throws, as with no binary for the platform', () => {
    expect(loadFastCrc32(() => { throw new Error('Cannot find native binding') })).toBeUndefined()
  })

  it('refuses a module whose crc32 is missing or computes another checksum', () => {
    expect(loadFastCrc32(() => ({}))).toBeUndefined()
    expect(loadFastCrc32(() => null)).toBeUndefined()
    // CRC-32C: another polynomial, same signature.
    expect(loadFastCrc32(() => ({ crc32: require('@node-rs/crc32').crc32c }))).toBeUndefined()
    // One that ignores the starting value.
    expect(loadFastCrc32(() => ({ crc32: (d: Uint8Array) => zlibCrc32(d) }))).toBeUndefined()
  })
})
