// Damaged tables: a flipped bit in each region (header, data blocks, filter, index, properties,
// footer) and truncation at many lengths must end in a CorruptionError naming the file, from
// open, get, iteration or verify — and no call may ever return data that was not written.
// Also: blocks whose bytes are malformed but whose checksum is right (a bug, not the disk).

import { describe, expect, it } from 'vitest'
import { CorruptionError } from '../base/errors.js'
import { MAX_SEQ } from '../base/internal-key.js'
import { MemFileSystem } from '../base/mem-fs.js'
import { BlockCache } from './block-cache.js'
import { BLOCK_TRAILER_SIZE, FOOTER_SIZE, HEADER_SIZE, encodeBlockTrailer, type BlockHandle } from './format.js'
import { TableReader } from './table-reader.js'
import { type Entry, buildTable, mismatchAt, randomEntries, seededRandom } from '../tests/support/table-data.js'
import type { TableWriterOptions } from './options.js'

const PATH = '/db/000042.sst'
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

// expect() costs microseconds; call it only when there is something to report.
function expectNoMismatch(mismatch: string | undefined, what: string): void {
  if (mismatch !== undefined) expect(mismatch, what).toBeUndefined()
}

function fsWith(bytes: Uint8Array): MemFileSystem {
  const fs = new MemFileSystem()
  fs.mkdir('/db')
  fs.create(PATH).append(bytes)
  return fs
}

function makeTable(options: TableWriterOptions): { bytes: Uint8Array; entries: Entry[] } {
  const entries = randomEntries(seededRandom(99), 150)
  const fs = new MemFileSystem()
  fs.mkdir('/db')
  buildTable(fs.create(PATH), entries, options)
  return { bytes: fs.readFile(PATH), entries }
}

type Region = { name: string; start: number; end: number }

function regionsOf(bytes: Uint8Array): Region[] {
  const reader = TableReader.open(fsWith(bytes), PATH, 1, new BlockCache(0))
  const span = (name: string, h: BlockHandle): Region => ({ name, start: h.offset, end: h.offset + h.length + BLOCK_TRAILER_SIZE })
  const out: Region[] = [{ name: 'header', start: 0, end: HEADER_SIZE }]
  for (let i = 0; i < reader.blockCount; i++) out.push(span(`data ${i}`, reader.blockHandle(i)))
  out.push(span('filter', reader.footer.filter), span('index', reader.footer.index), span('properties', reader.footer.properties))
  out.push({ name: 'footer', start: bytes.length - FOOTER_SIZE, end: bytes.length })
  reader.close()
  return out
}

/**
 * Runs every read path over the damaged file. Each call must either throw a CorruptionError
 * naming the file or return exactly what was written. Returns whether any corruption was seen.
 */
function exercise(fs: MemFileSystem, entries: readonly Entry[], what: string): boolean {
  let detected = false
  const guard = (fn: () => void): void => {
    try {
      fn()
    } catch (err) {
      expect(err, what).toBeInstanceOf(CorruptionError)
      expect((err as CorruptionError).file, what).toBe(PATH)
      detected = true
    }
  }
  let reader: TableReader | undefined
  guard(() => {
    reader = TableReader.open(fs, PATH, 1, new BlockCache(1 << 20))
  })
  if (reader === undefined) return detected
  const r = reader
  // Newest version of each user key.
  for (let i = 0; i < entries.length; i++) {
    if (i > 0 && hex(entries[i - 1].userKey) === hex(entries[i].userKey)) continue
    const e = entries[i]
    guard(() => {
      const got = r.get(e.userKey, MAX_SEQ)
      const [g, w] = [got && `${got.seq}#${got.kind}=${hex(got.value)}`, `${e.seq}#${e.kind}=${hex(e.value)}`]
      if (g !== w) expect(g, `${what}: get`).toBe(w)
    })
  }
  guard(() => {
    const it = r.iterator()
    let i = 0
    for (it.first(); it.valid(); it.next(), i++) expectNoMismatch(mismatchAt(it, entries, i), `${what}: scan`)
    expect(i, `${what}: scan length`).toBe(entries.length)
  })
  guard(() => {
    const it = r.iterator()
    let i = entries.length - 1
    for (it.last(); it.valid(); it.prev(), i--) expectNoMismatch(mismatchAt(it, entries, i), `${what}: reverse scan`)
    expect(i, `${what}: reverse scan length`).toBe(-1)
  })
  guard(() => r.verify())
  r.close()
  return detected
}

describe('corruption', () => {
  for (const compression of ['lz4', 'none'] as const) {
    it(`detects a flipped bit in every region (${compression})`, () => {
      const { bytes, entries } = makeTable({ blockSize: 512, compression })
      const regions = regionsOf(bytes)
      expect(regions.filter((r) => r.name.startsWith('data')).length).toBeGreaterThan(5)
      expect(exercise(fsWith(bytes), entries, 'undamaged')).toBe(false)
      const rng = seededRandom(7)
      for (const region of regions) {
        const bits = [region.start * 8, region.end * 8 - 1] // first and last bit (a trailer's CRC)
        for (let k = 0; k < 6; k++) bits.push(region.start * 8 + rng.int((region.end - region.start) * 8))
        for (const bit of bits) {
          const fs = fsWith(bytes)
          fs.flipBit(PATH, bit)
          const what = `${compression}: bit ${bit} in ${region.name} [${region.start}, ${region.end})`
          expect(exercise(fs, entries, what), what).toBe(true)
        }
      }
    })
  }

  it('detects truncation at any length', () => {
    const { bytes, entries } = makeTable({ blockSize: 512 })
    const lengths = [0, 1, HEADER_SIZE - 1, HEADER_SIZE, HEADER_SIZE + 1, bytes.length - FOOTER_SIZE, bytes.length - 1]
    const rng = seededRandom(11)
    for (let k = 0; k < 20; k++) lengths.push(rng.int(bytes.length))
    for (const n of lengths) {
      const fs = fsWith(bytes)
      fs.truncateFile(PATH, n)
      expect(() => TableReader.open(fs, PATH, 1, new BlockCache(0)), `length ${n}`).toThrow(CorruptionError)
      expect(exercise(fs, entries, `truncated to ${n}`)).toBe(true)
    }
  })

  it('reports malformed blocks whose checksum is right', () => {
    const { bytes, entries } = makeTable({ blockSize: 512, compression: 'none' })
    const regions = regionsOf(bytes)
    // Damage the stored bytes, then give the block a correct trailer for them.
    const rewrite = (region: Region, damage: (stored: Uint8Array) => void): MemFileSystem => {
      const copy = bytes.slice()
      const stored = copy.subarray(region.start, region.end - BLOCK_TRAILER_SIZE)
      damage(stored)
      encodeBlockTrailer(stored, copy[region.end - BLOCK_TRAILER_SIZE], copy, region.end - BLOCK_TRAILER_SIZE)
      return fsWith(copy)
    }
    const data = regions.find((r) => r.name === 'data 2')!
    const restartCount = (stored: Uint8Array) => new DataView(stored.buffer, stored.byteOffset).setUint32(stored.length - 4, 9999, true)
    const entryLength = (stored: Uint8Array) => (stored[2] = 0x7f) // first entry's value length runs past the block
    for (const damage of [restartCount, entryLength]) {
      const fs = rewrite(data, damage)
      const reader = TableReader.open(fs, PATH, 1, new BlockCache(1 << 20))
      expect(() => reader.verify()).toThrow(/malformed block/)
      expect(exercise(fs, entries, `malformed data block (${damage.name})`)).toBe(true)
    }
    const region = (name: string) => regions.find((r) => r.name === name)!
    expect(() => TableReader.open(rewrite(region('index'), restartCount), PATH, 1, new BlockCache(0))).toThrow(/malformed block/)
    const hashCount = (stored: Uint8Array) => (stored[1] = 0)
    expect(() => TableReader.open(rewrite(region('filter'), hashCount), PATH, 1, new BlockCache(0))).toThrow(/filter block/)
    const version = (stored: Uint8Array) => (stored[0] = 7)
    expect(() => TableReader.open(rewrite(region('properties'), version), PATH, 1, new BlockCache(0))).toThrow(/properties block/)
    // A well-formed but wrong largest key opens, and verify finds it against the data.
    const largestKey = (stored: Uint8Array) => (stored[stored.length - 1] ^= 0x10)
    const fs = rewrite(region('properties'), largestKey)
    const reader = TableReader.open(fs, PATH, 1, new BlockCache(0))
    expect(() => reader.verify()).toThrow(/key range/)
  })

  it('reports an lz4 block whose length header lies, even with a correct checksum (type 1 and 2)', () => {
    for (const [formatVersion, type] of [[1, 1], [2, 2]] as const) {
      const { bytes } = makeTable({ blockSize: 4096, compression: 'lz4', formatVersion })
      const fs0 = fsWith(bytes)
      const reader = TableReader.open(fs0, PATH, 1, new BlockCache(0))
      let lz4Block: BlockHandle | undefined
      for (let i = 0; i < reader.blockCount && lz4Block === undefined; i++) {
        const h = reader.blockHandle(i)
        if (bytes[h.offset + h.length] === type) lz4Block = h
      }
      expect(lz4Block, `a compressed block of type ${type}`).toBeDefined()
      const h = lz4Block!
      const copy = bytes.slice()
      copy[h.offset] ^= 0x01 // the uncompressed length, low byte
      encodeBlockTrailer(copy.subarray(h.offset, h.offset + h.length), type, copy, h.offset + h.length)
      const damaged = TableReader.open(fsWith(copy), PATH, 1, new BlockCache(0))
      expect(() => damaged.verify()).toThrow(type === 1 ? /lz4 block/ : /lz4 chunks/)
    }
  })
})
