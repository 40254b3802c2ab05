// The value log's MALLOC_THRESHOLDS allocation (vlog/value-log.ts): made once this thread has read
// MALLOC_RAISE_AFTER bytes of large entries, never by small-entry reads however many.
// A file of its own: the state is per thread (per module instance), and vitest isolates files.

import { describe, expect, it } from 'vitest'
import { MemFileSystem } from '../base/mem-fs.js'
import { MALLOC_RAISE_AFTER, ValueLog, mallocThresholdsRaised } from './index.js'

const enc = (s: string) => new TextEncoder().encode(s)

describe('ValueLog malloc thresholds', () => {
  it('raises after MALLOC_RAISE_AFTER bytes of large reads, not after small ones, and reads stay right', async () => {
    const fs = new MemFileSystem()
    fs.mkdir('/db')
    const vlog = new ValueLog(fs, '/db', { maxFileSize: 1 << 30, maxEntries: 1 << 20, maxOpenFiles: 2 })
    await vlog.startFile(1)
    const small = vlog.append([{ key: enc('small'), seq: 1, value: new Uint8Array(1000).fill(1) }])[0]
    const bigValue = new Uint8Array(64 * 1024).fill(7)
    const big = vlog.append([{ key: enc('big'), seq: 2, value: bigValue }])[0]
    await vlog.sync()
    for (let i = 0; i < (2 * MALLOC_RAISE_AFTER) / 1000; i++) vlog.read(small, enc('small'))
    expect(mallocThresholdsRaised()).toBe(false)
    const needed = Math.ceil(MALLOC_RAISE_AFTER / big.length)
    for (let i = 0; i < needed - 1; i++) expect(vlog.read(big, enc('big')).length).toBe(bigValue.length)
    expect(mallocThresholdsRaised()).toBe(false)
    expect(Buffer.from(vlog.read(big, enc('big'))).equals(bigValue)).toBe(true)
    expect(mallocThresholdsRaised()).toBe(true)
    await vlog.close()
  })
})
