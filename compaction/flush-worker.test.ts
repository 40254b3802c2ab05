// Flushes and compactions in the worker thread write the same bytes as inline runs: a frozen
// memtable read from its SharedArrayBuffer by the worker gives a table byte-identical to the one
// the inline path writes on the in-memory file system, and so does a compaction of those tables.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { filePath, tableFileName } from '../base/filenames.js'
import { Kind } from '../base/internal-key.js'
import { MemFileSystem } from '../base/mem-fs.js'
import { RealFileSystem } from '../base/real-fs.js'
import type { TableMeta } from '../manifest/index.js'
import { Memtable } from '../memtable/index.js'
import { makeRng } from '../tests/support/rng.js'
import {
  type CompactionResult, type CompactionRunner, type FlushTask, InlineCompactionRunner, WorkerCompactionRunner,
} from './index.js'

const SEED = Number(process.env.SETT_SEED ?? 7)
const table = { blockSize: 1024, bloomBitsPerKey: 10, compression: 'lz4' as const }
const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

/** Random puts, deletes and overwrites of few keys, so flushes have versions to drop. */
function fill(mt: Memtable, seed: number, firstSeq: number, n: number): void {
  const rng = makeRng(seed)
  for (let i = 0; i < n; i++) {
    const key = Buffer.from(`key${String(rng.int(n / 2)).padStart(6, '0')}`)
    const kind = rng.chance(0.1) ? Kind.Delete : Kind.Value
    mt.add(key, firstSeq + i, kind, kind === Kind.Delete ? new Uint8Array(0) : rng.bytes(rng.int(200)))
  }
}

function flushTask(dir: string, mt: Memtable, fileNumber: number, smallestSnapshot: number): FlushTask {
  return { dir, memtable: mt.freeze(), fileNumber, table, smallestSnapshot }
}

function tableBytes(fs: RealFileSystem | MemFileSystem, dir: string, t: TableMeta): Buffer {
  return Buffer.from(fs.readFile(filePath(dir, tableFileName(t.fileNumber))))
}

/** Two flushes (the second with a snapshot that keeps old versions) and a compaction of both. */
async function flushTwiceAndCompact(runner: CompactionRunner, dir: string, shared: boolean) {
  const results: CompactionResult[] = []
  for (const [i, snapshot] of [[0, 1e9], [1, 500]] as const) {
    const mt = new Memtable({ shared, initialArenaSize: 4096, rng: makeRng(SEED + i) })
    fill(mt, SEED * 10 + i, 1 + i * 5000, 3000)
    results.push(await runner.flush(flushTask(dir, mt, 10 + i, snapshot)))
  }
  const inputs = results.flatMap((r) => r.tables).reverse()
  results.push(await runner.run({
    dir, level: 0, inputs, overlapping: [], fileNumbers: [20, 21, 22, 23, 24, 25], table,
    targetFileSize: 32 * 1024, smallestSnapshot: 1e9, dropTombstones: true,
  }))
  return results
}

it(`worker flushes and compactions write the bytes inline ones write (seed ${SEED})`, async () => {
  const memFs = new MemFileSystem()
  memFs.mkdir('/db')
  const inline = await flushTwiceAndCompact(new InlineCompactionRunner(memFs), '/db', false)

  const dir = mkdtempSync(join(tmpdir(), 'sett-flush-worker-'))
  dirs.push(dir)
  const realFs = new RealFileSystem()
  const runner = new WorkerCompactionRunner(realFs)
  try {
    const worker = await flushTwiceAndCompact(runner, dir, true)
    expect(worker.map((r) => r.tables.map((t) => t.fileNumber))).toEqual(inline.map((r) => r.tables.map((t) => t.fileNumber)))
    // A second version hidden behind a newer one below the snapshot is dropped; the compaction
    // cut several tables.
    expect(inline[0].entriesDropped).toBeGreaterThan(0)
    expect(inline[2].tables.length).toBeGreaterThan(1)
    for (let r = 0; r < inline.length; r++) {
      expect(worker[r].entriesDropped).toBe(inline[r].entriesDropped)
      // The worker opened and checked each table it wrote; inline runs leave that to the engine.
      expect(worker[r].opened?.map((o) => o.properties.fileSize)).toEqual(worker[r].tables.map((t) => t.size))
      expect(inline[r].opened).toBeUndefined()
      for (let t = 0; t < inline[r].tables.length; t++) {
        const a = tableBytes(memFs, '/db', inline[r].tables[t])
        const b = tableBytes(realFs, dir, worker[r].tables[t])
        expect(b.length).toBe(a.length)
        expect(b.equals(a), `table ${inline[r].tables[t].fileNumber}`).toBe(true)
      }
    }
  } finally {
    await runner.close()
  }
})

it('a worker flush of a memtable that is not shared runs inline and writes the same table', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sett-flush-worker-'))
  dirs.push(dir)
  const realFs = new RealFileSystem()
  const runner = new WorkerCompactionRunner(realFs)
  try {
    const a = new Memtable({ shared: true, rng: makeRng(1) })
    const b = new Memtable({ shared: false, rng: makeRng(1) })
    fill(a, SEED, 1, 500)
    fill(b, SEED, 1, 500)
    expect(a.isShared).toBe(true)
    expect(b.isShared).toBe(false)
    const ra = await runner.flush(flushTask(dir, a, 1, 1e9))
    const rb = await runner.flush(flushTask(dir, b, 2, 1e9))
    expect(tableBytes(realFs, dir, rb.tables[0]).equals(tableBytes(realFs, dir, ra.tables[0]))).toBe(true)
  } finally {
    await runner.close()
  }
})

it('a memtable over mapped pages (a large arena) flushes in the worker to the same table as one over malloc\'s', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sett-flush-worker-'))
  dirs.push(dir)
  const realFs = new RealFileSystem()
  const runner = new WorkerCompactionRunner(realFs)
  try {
    const mapped = new Memtable({ shared: true, initialArenaSize: 8 << 20, rng: makeRng(3) })
    const small = new Memtable({ shared: true, initialArenaSize: 4096, rng: makeRng(3) })
    fill(mapped, SEED, 1, 2000)
    fill(small, SEED, 1, 2000)
    expect(mapped.freeze().buffer.byteLength).toBeGreaterThanOrEqual(8 << 20)
    expect(mapped.freeze().buffer).toBeInstanceOf(SharedArrayBuffer)
    const rm = await runner.flush(flushTask(dir, mapped, 1, 1e9))
    const rs = await runner.flush(flushTask(dir, small, 2, 1e9))
    expect(runner.running).toBe(true)
    expect(rm.tables[0].entryCount).toBeGreaterThan(0)
    expect(tableBytes(realFs, dir, rm.tables[0]).equals(tableBytes(realFs, dir, rs.tables[0]))).toBe(true)
  } finally {
    await runner.close()
  }
})

it('an error in the worker comes back as a rejected flush, and the worker keeps serving', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sett-flush-worker-'))
  dirs.push(dir)
  const runner = new WorkerCompactionRunner(new RealFileSystem())
  try {
    const mt = new Memtable({ shared: true })
    fill(mt, SEED, 1, 100)
    await expect(runner.flush(flushTask(join(dir, 'missing'), mt, 1, 1e9))).rejects.toThrow(/compaction worker/)
    const ok = await runner.flush(flushTask(dir, mt, 2, 1e9))
    expect(ok.tables.map((t) => t.entryCount)).toEqual([mt.count - ok.entriesDropped])
  } finally {
    await runner.close()
  }
})

it('an idle worker is stopped after its idle time, and the next task starts a new one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sett-flush-worker-'))
  dirs.push(dir)
  const realFs = new RealFileSystem()
  const runner = new WorkerCompactionRunner(realFs, undefined, 50)
  try {
    const mt = new Memtable({ shared: true, rng: makeRng(3) })
    fill(mt, SEED, 1, 300)
    expect(runner.workerHeapBytes).toBe(0)
    const first = await runner.flush(flushTask(dir, mt, 1, 1e9))
    expect(runner.running).toBe(true)
    // The worker reports its own heap with each reply (a fresh isolate holds a few MiB), and a
    // stopped one counts nothing.
    expect(runner.workerHeapBytes).toBeGreaterThan(1024 * 1024)
    // Back-to-back tasks keep the one worker.
    await runner.flush(flushTask(dir, mt, 2, 1e9))
    expect(runner.started).toBe(1)
    for (let i = 0; i < 100 && runner.running; i++) await new Promise((r) => setTimeout(r, 20))
    expect(runner.running).toBe(false)
    expect(runner.workerHeapBytes).toBe(0)
    const again = await runner.flush(flushTask(dir, mt, 3, 1e9))
    expect(runner.started).toBe(2)
    expect(tableBytes(realFs, dir, again.tables[0]).equals(tableBytes(realFs, dir, first.tables[0]))).toBe(true)
    // A removal is a task too: it runs in a fresh worker once this one has stopped.
    for (let i = 0; i < 100 && runner.running; i++) await new Promise((r) => setTimeout(r, 20))
    runner.remove(filePath(dir, tableFileName(2)))
    await runner.removed()
    expect(runner.started).toBe(3)
    expect(realFs.list(dir)).not.toContain(tableFileName(2))
  } finally {
    await runner.close()
  }
  expect(runner.running).toBe(false)
})
