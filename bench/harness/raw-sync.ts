// The reference a synced writer is held to: a plain Node loop that appends one record of the
// same size as the workload's puts (key + value) to a file in the database's directory and
// fdatasyncs it, one at a time, measured in the same child right around the engine's synced
// workload, so both see the same disk at the same minute of a noisy machine.
//
// Two loops: `fs.fdatasync` with a callback (what a writer that keeps the event loop free does, and
// what every engine here does: Sett's WAL sync, LevelDB's and lmdb's writer threads) and
// `fdatasyncSync` (the event loop blocked for the fsync: no thread-pool hop, the device's floor).
// Never touches the engine's files.

import { closeSync, fdatasync, fdatasyncSync, openSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'

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
