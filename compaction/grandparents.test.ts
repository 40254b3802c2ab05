// Outputs are cut where they would overlap too much of the level below the output (grandparents),
// and only there when the target size is not reached: each output's overlap stays within the
// limit plus the one grandparent that crosses its end.

import { expect, it } from 'vitest'
import { MemFileSystem } from '../base/mem-fs.js'
import { Kind } from '../base/internal-key.js'
import { Memtable } from '../memtable/index.js'
import { type GrandparentTable, runCompactionJob } from './index.js'

const key = (i: number) => Buffer.from(`key${String(i).padStart(6, '0')}`)

async function compact(grandparents: GrandparentTable[] | undefined, targetFileSize: number) {
  const mt = new Memtable()
  for (let i = 0; i < 10_000; i++) mt.add(key(i), i + 1, Kind.Value, new Uint8Array(50).fill(i & 0xff))
  const fs = new MemFileSystem()
  fs.mkdir('/db')
  let n = 1
  return runCompactionJob(mt.iterator(), {
    fs, dir: '/db', newFileNumber: () => n++, table: { blockSize: 4096, bloomBitsPerKey: 10, compression: 'none' },
    targetFileSize, smallestSnapshot: 1e9, dropTombstones: true, grandparents,
  })
}

it('cuts outputs at grandparent overlap, not otherwise', async () => {
  const target = 4 << 20
  const gpSize = 8 << 20
  // 20 grandparents of 500 keys each, each "8 MiB": an output may pass over 40 MiB (5 of them).
  const grandparents = Array.from({ length: 20 }, (_, g) => ({ largestKey: key(g * 500 + 499), size: gpSize }))
  const alone = await compact(undefined, target)
  expect(alone.tables).toHaveLength(1)
  const cut = await compact(grandparents, target)
  expect(cut.tables.length).toBeGreaterThanOrEqual(3)
  expect(cut.tables.reduce((n, t) => n + t.entryCount, 0)).toBe(10_000)
  for (const t of cut.tables) {
    const lo = Number(Buffer.from(t.smallestKey).toString().slice(3))
    const hi = Number(Buffer.from(t.largestKey).toString().slice(3))
    const overlapped = grandparents.filter((_, g) => g * 500 <= hi && g * 500 + 499 >= lo).length * gpSize
    expect(overlapped, `table ${lo}..${hi}`).toBeLessThanOrEqual(10 * target + 2 * gpSize)
  }
  // Each cut falls just after a grandparent's last key.
  for (const t of cut.tables.slice(0, -1)) expect(Number(Buffer.from(t.largestKey).toString().slice(3)) % 500).toBe(499)
})
