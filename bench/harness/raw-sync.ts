// The reference a synced writer is held to: a plain Node loop that appends one record of the
// same size as the workload's puts (key + value) to a file beside the database and fdatasyncs
// it, one at a time, in the same child as the engine's synced workload, so both see the same disk
// at the same moment of a noisy machine: interleaved with a single writer's puts (InterleavedRawSync,
// slices of a few dozen appends between slices of puts), or right before and after a workload
// whose writers run concurrently (measureRawSync).
//
// Two loops: `fs.fdatasync` with a callback (what a writer that keeps the event loop free does, and
// what every engine here does: Sett's WAL sync, LevelDB's and lmdb's writer threads) and
// `fdatasyncSync` (the event loop blocked for the fsync: no thread-pool hop, the device's floor).
// Never touches the engine's files.

import { closeSync, fdatasync, fdatasyncSync, openSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { readProcIo } from './metrics.js'

export interface RawSyncRate {
  /** Bytes appended before each fdatasync (the workload's key + value). */
  recordBytes: number
  /** Appends + fdatasync per second with the callback fdatasync (the thread pool). */
  asyncPerSec: number
  /** The same with fdatasyncSync on the main thread. */
  syncPerSec: number
}

function fdatasyncAsync(fd: number): Promise<void> {
  return new Promise((ok, fail) => fdatasync(fd, (err) => (err ? fail(err) : ok())))
}

/** One loop for `ms` milliseconds on a fresh file in `dir`; returns appends + fsyncs per second. */
async function loop(dir: string, recordBytes: number, ms: number, blocking: boolean): Promise<number> {
  const path = join(dir, `raw-sync-${process.pid}.tmp`)
  const record = Buffer.alloc(recordBytes)
  for (let i = 0; i < recordBytes; i++) record[i] = (i * 2654435761) >>> 24 // not all zeros
  const fd = openSync(path, 'w')
  let n = 0
  const t = performance.now()
  let now = t
  try {
    while (now - t < ms) {
      writeSync(fd, record)
      if (blocking) fdatasyncSync(fd)
      else await fdatasyncAsync(fd)
      n++
      now = performance.now()
    }
  } finally {
    closeSync(fd)
    rmSync(path, { force: true })
  }
  return n / ((now - t) / 1000)
}

/** Both loops, `ms` each, in `dir` (which must exist). */
export async function measureRawSync(dir: string, recordBytes: number, ms: number): Promise<RawSyncRate> {
  const asyncPerSec = await loop(dir, recordBytes, ms, false)
  const syncPerSec = await loop(dir, recordBytes, ms, true)
  return { recordBytes, asyncPerSec, syncPerSec }
}

/** The mean of two measurements (one before the engine's workload, one after). */
export function meanRawSync(a: RawSyncRate, b: RawSyncRate): RawSyncRate {
  return { recordBytes: a.recordBytes, asyncPerSec: (a.asyncPerSec + b.asyncPerSec) / 2, syncPerSec: (a.syncPerSec + b.syncPerSec) / 2 }
}

/**
 * The raw loops in slices between a single writer's puts: each slice is `n` appends + fdatasync
 * with the callback, then `n` with fdatasyncSync, each on a file of its own that grows through
 * the run as the engine's WAL does. Keeps the time it took (to leave out of the workload's) and
 * the bytes /proc/self/io charged to it (to leave out of write amplification).
 */
export class InterleavedRawSync {
  private readonly record: Buffer
  private readonly paths: [string, string]
  private readonly fds: [number, number]
  private asyncMs = 0
  private syncMs = 0
  private appends = 0
  /** Wall time spent in slices, ms. */
  pausedMs = 0
  /** Bytes /proc/self/io counted as written during slices. */
  writeBytes = 0

  constructor(dir: string, recordBytes: number) {
    this.record = Buffer.alloc(recordBytes)
    for (let i = 0; i < recordBytes; i++) this.record[i] = (i * 2654435761) >>> 24
    this.paths = [join(dir, `raw-sync-a-${process.pid}.tmp`), join(dir, `raw-sync-b-${process.pid}.tmp`)]
    this.fds = [openSync(this.paths[0], 'w'), openSync(this.paths[1], 'w')]
  }

  async slice(n: number): Promise<void> {
    const io0 = readProcIo().writeBytes
    const t0 = performance.now()
    for (let i = 0; i < n; i++) {
      writeSync(this.fds[0], this.record)
      await fdatasyncAsync(this.fds[0])
    }
    const t1 = performance.now()
    for (let i = 0; i < n; i++) {
      writeSync(this.fds[1], this.record)
      fdatasyncSync(this.fds[1])
    }
    const t2 = performance.now()
    this.asyncMs += t1 - t0
    this.syncMs += t2 - t1
    this.appends += n
    this.pausedMs += t2 - t0
    this.writeBytes += readProcIo().writeBytes - io0
  }

  result(): RawSyncRate | null {
    if (this.appends === 0) return null
    return { recordBytes: this.record.length, asyncPerSec: this.appends / (this.asyncMs / 1000), syncPerSec: this.appends / (this.syncMs / 1000) }
  }

  close(): void {
    for (const fd of this.fds) closeSync(fd)
    for (const p of this.paths) rmSync(p, { force: true })
  }
}
