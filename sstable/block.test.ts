// Block builder and iterator against a sorted array: scans, seeks and random walks over random
// entries at several restart intervals, plus malformed blocks.

import { describe, expect, it } from 'vitest'
import { CorruptionError } from '../base/errors.js'
import { MAX_SEQ } from '../base/internal-key.js'
import { writeVarint } from '../base/varint.js'
import { BlockBuilder } from './block-builder.js'
import { Block, BlockIter } from './block-iter.js'
import {
  type Entry, mismatchAt, modelSeekGE, modelSeekLT, randomEntries, randomUserKey, randomWalk, seededRandom,
} from '../tests/support/table-data.js'

function buildBlock(entries: readonly Entry[], restartInterval: number): Block {
  const b = new BlockBuilder(restartInterval)
  for (const e of entries) b.add(e.userKey, e.seq, e.kind, e.value)
  return Block.parse('test', 0, b.finish().slice())
}

describe('block model', () => {
  for (const restartInterval of [1, 2, 16, 1000]) {
    it(`matches a sorted array (restartInterval ${restartInterval})`, () => {
      const seed = 1000 + restartInterval
      const rng = seededRandom(seed)
      const entries = randomEntries(rng, 150)
      const block = buildBlock(entries, restartInterval)
      expect(block.restartCount).toBe(Math.ceil(entries.length / restartInterval))
      const it = new BlockIter('test')
      it.reset(block, 0)
      const fail = (msg: string | undefined): void => expect(msg, `seed ${seed}`).toBeUndefined()

      it.first()
      for (let i = 0; i <= entries.length; i++, it.next()) fail(mismatchAt(it, entries, i))
      it.last()
      for (let i = entries.length - 1; i >= -1; i--, it.prev()) fail(mismatchAt(it, entries, i))

      for (let trial = 0; trial < 300; trial++) {
        const e = entries[rng.int(entries.length)]
        const target = rng.chance(0.5) ? e.userKey : randomUserKey(rng)
        const seq = rng.chance(0.2) ? MAX_SEQ : rng.chance(0.5) ? e.seq + rng.int(3) - 1 : rng.int(100_001)
        it.seekGE(target, seq)
        fail(randomWalk(it, entries, modelSeekGE(entries, target, seq), rng, 40))
        it.seekLT(target)
        fail(randomWalk(it, entries, modelSeekLT(entries, target), rng, 40))
      }
    })
  }

  it('handles an empty block', () => {
    const block = Block.parse('test', 0, new BlockBuilder(16).finish().slice())
    expect(block.data.length).toBe(8)
    const it = new BlockIter('test')
    it.reset(block, 0)
    for (const move of [() => it.first(), () => it.last(), () => it.seekGE(Uint8Array.of(1), 5), () => it.seekLT(Uint8Array.of(1))]) {
      move()
      expect(it.valid()).toBe(false)
    }
  })

  it('prefix-compresses keys that share a prefix', () => {
    const b = new BlockBuilder(16)
    const key = (i: number) => Buffer.from(`a-long-shared-prefix-${String(i).padStart(4, '0')}`)
    for (let i = 0; i < 16; i++) b.add(key(i), 1, 1, new Uint8Array(0))
    // Whole key (25 + 8 bytes) once, then ~1-byte deltas plus the trailer.
    expect(b.finish().length).toBeLessThan(33 + 15 * 14 + 8)
  })
})

describe('malformed blocks', () => {
  const good = (): Uint8Array => {
    const b = new BlockBuilder(2)
    for (let i = 0; i < 5; i++) b.add(Uint8Array.of(0x61, i), 10, 1, Uint8Array.of(i, i))
    return b.finish().slice()
  }
  const u32 = (buf: Uint8Array, at: number, v: number) => new DataView(buf.buffer).setUint32(at, v, true)

  it('rejects a bad restart array', () => {
    const cases: Array<[string, (b: Uint8Array) => Uint8Array]> = [
      ['too short', () => Uint8Array.of(0, 0, 0)],
      ['zero restarts', (b) => (u32(b, b.length - 4, 0), b)],
      ['restart count past the block', (b) => (u32(b, b.length - 4, 1000), b)],
      ['first restart not 0', (b) => (u32(b, b.length - 4 - 12, 3), b)],
      ['restart past the entries', (b) => (u32(b, b.length - 8, b.length), b)],
    ]
    for (const [name, damage] of cases) {
      expect(() => Block.parse('f.sst', 77, damage(good())), name).toThrow(CorruptionError)
      try {
        Block.parse('f.sst', 77, damage(good()))
      } catch (err) {
        expect((err as CorruptionError).file).toBe('f.sst')
        expect((err as CorruptionError).offset).toBe(77)
      }
    }
  })

  it('rejects an entry that runs past the restart array or shares too much', () => {
    for (const [name, patch] of [
      ['value length', (b: Uint8Array) => writeVarint(b, 2, 120)],
      ['shared prefix', (b: Uint8Array) => writeVarint(b, 0, 5)],
      ['key too short', (b: Uint8Array) => writeVarint(b, 1, 3)],
    ] as const) {
      const bytes = good()
      patch(bytes)
      const block = Block.parse('f.sst', 9, bytes)
      const it = new BlockIter('f.sst')
      it.reset(block, 9)
      expect(() => {
        for (it.first(); it.valid(); it.next());
      }, name).toThrow(CorruptionError)
    }
  })
})
