// Mapped buffers are V8's own pages, not malloc's: zeroed, whole WebAssembly pages, shared when
// asked, and outside what V8 counts as array buffers from the embedder's allocator (malloc).

import { expect, it } from 'vitest'
import { MAPPED_PAGE, mappedBuffer } from './mapped-buffer.js'

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
