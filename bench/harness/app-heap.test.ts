// holdAppHeap: the heap grows by what was asked and stays grown through full collections.

import { getHeapStatistics } from 'node:v8'
import { expect, it } from 'vitest'
import { holdAppHeap } from './app-heap.js'

it('grows the JS heap by the MiB asked, and keeps them live', () => {
  const before = getHeapStatistics().used_heap_size
  expect(holdAppHeap(0)).toBe(0)
  const grown = holdAppHeap(4)
  expect(grown).toBeGreaterThanOrEqual(4 * 1024 * 1024)
  // Collected only if nothing holds them: without --expose-gc, allocation pressure stands in for gc().
  for (let i = 0; i < 200; i++) void new Array(100_000).fill(i)
  expect(getHeapStatistics().used_heap_size - before).toBeGreaterThanOrEqual(4 * 1024 * 1024)
})
