// Where arena bytes come from: a large arena is mapped by V8 (base/mapped-buffer.ts), not
// malloc's, shared or not, and keeps its bytes across growth from a small (malloc) buffer into a
// mapped one; a small arena is malloc's (counted in process.memoryUsage().arrayBuffers).

import { expect, it } from 'vitest'
import { Arena, PAGE_MAPPED_MIN } from './arena.js'
import { KeyFilter } from './key-filter.js'

/**
 * Bytes V8 counts as array buffers from malloc while `make` runs, the most of five tries (a
 * collection during one can only lower its figure), with the last result kept alive.
 */
function mallocBytesOf<T>(make: () => T): { made: T; bytes: number } {
  const kept: T[] = []
  let bytes = -Infinity
  for (let i = 0; i < 5; i++) {
    const before = process.memoryUsage().arrayBuffers
    kept.push(make())
    bytes = Math.max(bytes, process.memoryUsage().arrayBuffers - before)
  }
  return { made: kept[kept.length - 1], bytes }
}

it('a large arena is mapped, shared or not; a small one is malloc\'s', () => {
  for (const shared of [false, true]) {
    const large = mallocBytesOf(() => Arena.create(PAGE_MAPPED_MIN, shared))
    expect(large.made.isShared).toBe(shared)
    expect(large.made.capacity).toBeGreaterThanOrEqual(PAGE_MAPPED_MIN)
    expect(large.bytes).toBeLessThan(PAGE_MAPPED_MIN / 8)
    const small = mallocBytesOf(() => Arena.create(PAGE_MAPPED_MIN / 4, shared))
    expect(small.bytes).toBeGreaterThanOrEqual(PAGE_MAPPED_MIN / 4)
  }
})

it('keeps its bytes when it grows from a malloc buffer into a mapped one, and recycles zeroed', () => {
  for (const shared of [false, true]) {
    const a = Arena.create(64 * 1024, shared)
    const offsets: number[] = []
    for (let i = 0; i < 100; i++) {
      const off = a.alloc(100 * 1024)
      a.u8[off] = i + 1
      a.u8[off + 100 * 1024 - 1] = 255 - i
      offsets.push(off)
    }
    expect(a.capacity).toBeGreaterThanOrEqual(PAGE_MAPPED_MIN)
    expect(a.isShared).toBe(shared)
    offsets.forEach((off, i) => {
      expect(a.u8[off]).toBe(i + 1)
      expect(a.u8[off + 100 * 1024 - 1]).toBe(255 - i)
    })
    const fresh = a.recycle()
    expect(fresh.buf).toBe(a.buf)
    expect(fresh.u8.subarray(0, offsets[99] + 100 * 1024).every((x) => x === 0)).toBe(true)
  }
})

it('a memtable key filter as large as malloc would map on its own is mapped too', () => {
  const large = mallocBytesOf(() => new KeyFilter(8 * 256 * 1024))
  expect(large.bytes).toBeLessThan(64 * 1024)
  const small = mallocBytesOf(() => new KeyFilter(8 * 64 * 1024))
  expect(small.bytes).toBeGreaterThanOrEqual(64 * 1024)
  for (const f of [large.made, small.made]) {
    for (let i = 0; i < 1000; i++) f.add(new TextEncoder().encode(`k${i}`))
    for (let i = 0; i < 1000; i++) expect(f.mayContain(new TextEncoder().encode(`k${i}`))).toBe(true)
  }
})
