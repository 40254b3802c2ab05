// Salvage backups: with one flipped byte in one table's data block a plain backup fails with
// CorruptionError, a salvage backup succeeds, says how many blocks it skipped, and restores
// every key outside that block; and the backup's progress hook counts up to its total.

import { beforeAll, describe, expect, it } from 'vitest'
import { CorruptionError } from '../base/errors.js'
import { decodeInternalKey } from '../base/internal-key.js'
import { MemFileSystem } from '../base/mem-fs.js'
import { BlockCache, TableReader } from '../sstable/index.js'
import { cloneFs } from '../tests/support/clone-fs.js'
import { Model, hex } from '../tests/support/model.js'
import { makeRng } from '../tests/support/rng.js'
import { type Options, open, restore } from './index.js'

const DIR = '/db'
const options = (fs: MemFileSystem): Options => ({
  fs, memtableSize: 16 * 1024, blockSize: 512, valueThreshold: 256, l0CompactionTrigger: 100,
  l0SlowdownTrigger: 100, l0StopTrigger: 100, compactionWorker: false,
})

let base: MemFileSystem
let model: Model
let range: { low: string; high: string }

beforeAll(async () => {
  base = new MemFileSystem()
  const db = await open(DIR, options(base))
  const rng = makeRng(3)
  model = new Model()
  for (let i = 0; i < 1500; i++) {
    const k = new TextEncoder().encode(`key${String(rng.int(1000)).padStart(4, '0')}`)
    const v = rng.bytes(rng.int(6) === 0 ? 300 : 40)
    await db.put(k, v)
    model.put(k, v)
  }
  await db.compactRange()
  await db.close()
  // One flipped byte in the second data block of the largest table.
  const table = base.list(DIR).filter((n) => n.endsWith('.sst')).sort((a, b) => base.readFile(`${DIR}/${b}`).length - base.readFile(`${DIR}/${a}`).length)[0]
  const reader = TableReader.open(base, `${DIR}/${table}`, 1, new BlockCache(0))
  const h = reader.blockHandle(1)
  range = { low: hex(decodeInternalKey(reader.indexKey(0)).userKey), high: hex(decodeInternalKey(reader.indexKey(1)).userKey) }
  reader.close()
  const bytes = base.readFile(`${DIR}/${table}`).slice()
  bytes[h.offset + 5] ^= 0x20
  const f = base.create(`${DIR}/${table}`)
  f.append(bytes)
  await f.sync()
  await f.close()
})

describe('salvage backup', () => {
  it('a plain backup fails with CorruptionError; a salvage backup skips the block, says so, and restores the rest', async () => {
    const fs = await cloneFs(base)
    const db = await open(DIR, { ...options(fs), readOnly: true })
    try {
      await expect(db.backup('/plain.bak')).rejects.toBeInstanceOf(CorruptionError)
      expect(fs.exists('/plain.bak')).toBe(false)
      const r = await db.backup('/salvage.bak', { salvage: true })
      expect(r.skippedBlocks).toHaveLength(1)
      expect(r.skippedBlocks![0].file).toMatch(/\.sst$/)
      expect(r.unreadableValues).toBe(0)
      expect(r.records).toBeLessThan(model.map.size)
    } finally {
      await db.close()
    }
    await restore('/restored', '/salvage.bak', { fs })
    const restored = await open('/restored', options(fs))
    try {
      const got = new Map([...restored.iterator()].map(([k, v]) => [hex(k), v.toString('hex')]))
      const inBlock = (k: string): boolean => k >= range.low && k <= range.high
      let outside = 0
      for (const [k, v] of model.map) {
        if (inBlock(k)) continue
        expect(got.get(k), k).toBe(v.toString('hex'))
        outside++
      }
      expect(outside).toBeGreaterThan(model.map.size / 2)
      const lost = [...model.map.keys()].filter((k) => !got.has(k))
      expect(lost.length).toBeGreaterThan(0)
      expect(lost.every(inBlock)).toBe(true)
    } finally {
      await restored.close()
    }
  })

  it('reports progress with done increasing, never past total, ending at total', async () => {
    const fs = await cloneFs(base)
    const db = await open(DIR, { ...options(fs), readOnly: true })
    const calls: [number, number][] = []
    try {
      await db.backup('/p.bak', { salvage: true, onProgress: (d, t) => calls.push([d, t]) })
    } finally {
      await db.close()
    }
    expect(calls.length).toBeGreaterThan(1)
    calls.forEach(([d, t], i) => {
      expect(d).toBeLessThanOrEqual(t)
      if (i > 0) expect(d).toBeGreaterThan(calls[i - 1][0])
    })
    expect(calls.at(-1)![0]).toBe(calls.at(-1)![1])
  })
})
