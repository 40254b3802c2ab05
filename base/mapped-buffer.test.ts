// Mapped buffers are V8's own pages, not malloc's: zeroed, whole WebAssembly pages, shared when
// asked, and outside what V8 counts as array buffers from the embedder's allocator (malloc).

import { describe, expect, it } from 'vitest'
import { BYTE_POOL_BYTES, MAPPED_PAGE, POOLED_MIN, giveBytes, mappedBuffer, pooledFreeBytes, pooledSize, takeBytes } from './mapped-buffer.js'

it('gives zeroed bytes in whole pages, shared or not', () => {
  for (const shared of [false, true]) {
    const b = mappedBuffer(3 * MAPPED_PAGE + 1, shared)!
    expect(b).toBeInstanceOf(shared ? SharedArrayBuffer : ArrayBuffer)
    expect(b.byteLength).toBe(4 * MAPPED_PAGE)
    const u8 = new Uint8Array(b)
    expect(u8.every((x) => x === 0)).toBe(true)
    u8[u8.length - 1] = 7
    expect(u8[u8.length - 1]).toBe(7)
  }
})

it('is not malloc memory: process.memoryUsage().arrayBuffers does not count it', () => {
  const size = 8 << 20
  for (const shared of [false, true]) {
    // The most of five tries: a collection during one can only lower its figures.
    let mapped = -Infinity
    let plain = -Infinity
    const kept: unknown[] = []
    for (let i = 0; i < 5; i++) {
      let before = process.memoryUsage().arrayBuffers
      kept.push(mappedBuffer(size, shared))
      mapped = Math.max(mapped, process.memoryUsage().arrayBuffers - before)
      before = process.memoryUsage().arrayBuffers
      kept.push(shared ? new SharedArrayBuffer(size) : new ArrayBuffer(size))
      plain = Math.max(plain, process.memoryUsage().arrayBuffers - before)
    }
    expect(mapped).toBeLessThan(size / 8)
    expect(plain).toBeGreaterThanOrEqual(size)
  }
})

it('refuses what a WebAssembly memory cannot hold (more than 4 GiB)', () => {
  expect(mappedBuffer(2 ** 32 + 1, false)).toBeUndefined()
})

// BYTE_POOL: takeBytes/giveBytes. The pool is this thread's, shared by the tests below, in order:
// only the last one fills it.
describe('takeBytes and giveBytes', () => {
  it('maps buffers of POOLED_MIN or more in power-of-two page counts, zeroed, and leaves smaller ones to malloc', () => {
    const small = takeBytes(POOLED_MIN - 1)
    expect(small.length).toBe(POOLED_MIN - 1)
    expect(small.buffer.byteLength).toBe(POOLED_MIN - 1)
    const big = takeBytes(POOLED_MIN + 1)
    expect(big.length).toBe(POOLED_MIN + 1)
    expect(big.byteOffset).toBe(0)
    expect(big.buffer.byteLength).toBe(pooledSize(POOLED_MIN + 1))
    expect(pooledSize(POOLED_MIN + 1)).toBe(2 * POOLED_MIN)
    expect(pooledSize(3 * MAPPED_PAGE)).toBe(4 * MAPPED_PAGE)
    expect(big.every((x) => x === 0)).toBe(true)
    // Mapped, not malloc's: arrayBuffers does not count it.
    const before = process.memoryUsage().arrayBuffers
    const more = Array.from({ length: 8 }, () => takeBytes(1 << 20))
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1 << 20)
    expect(more.every((b) => b.buffer.byteLength === 1 << 20)).toBe(true)
    // Not given back: the pool stays empty for the tests below; the collector unmaps them.
  })

  it('gives a buffer given back to the next take of its size, zeroed again, and only then', () => {
    const a = takeBytes(200 * 1024)
    a.fill(9)
    const freeBefore = pooledFreeBytes()
    giveBytes(new Uint32Array(a.buffer, 0, 16)) // any view of it
    expect(pooledFreeBytes()).toBe(freeBefore + a.buffer.byteLength)
    const b = takeBytes(150 * 1024) // same size class (256 KiB)
    expect(b.buffer).toBe(a.buffer)
    expect(b.length).toBe(150 * 1024)
    expect(b.every((x) => x === 0)).toBe(true)
    expect(pooledFreeBytes()).toBe(freeBefore)
    // Taken again: a second take of that size gets another buffer.
    const c = takeBytes(150 * 1024)
    expect(c.buffer).not.toBe(b.buffer)
    giveBytes(b)
    giveBytes(c)
  })

  it('refuses a buffer given back twice, and ignores buffers it did not map', () => {
    const a = takeBytes(POOLED_MIN)
    giveBytes(a)
    expect(() => giveBytes(a)).toThrow(/twice/)
    const freeBefore = pooledFreeBytes()
    giveBytes(new Uint8Array(POOLED_MIN)) // malloc's
    giveBytes(new Uint8Array(mappedBuffer(POOLED_MIN, false)!)) // mapped, but not by takeBytes
    expect(pooledFreeBytes()).toBe(freeBefore)
    expect(takeBytes(POOLED_MIN).buffer).toBe(a.buffer)
  })

  it('keeps at most BYTE_POOL_BYTES of given-back buffers', () => {
    const taken = Array.from({ length: (2 * BYTE_POOL_BYTES) / (1 << 20) }, () => takeBytes(1 << 20))
    for (const b of taken) giveBytes(b)
    expect(pooledFreeBytes()).toBeLessThanOrEqual(BYTE_POOL_BYTES)
    expect(pooledFreeBytes()).toBeGreaterThanOrEqual(BYTE_POOL_BYTES - (1 << 20))
  })
})
