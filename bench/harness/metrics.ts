// What the bench measures besides time: bytes the process sent to the storage (/proc/self/io),
// bytes a database directory holds, and the arithmetic that turns them into write and space
// amplification and device fractions. Kept free of timing so the tests can check the arithmetic.

import { closeSync, fsyncSync, openSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

export interface IoCounters {
  /** Bytes this process caused to be sent to the storage layer (counted when a page is dirtied). */
  writeBytes: number
  /** Of those, bytes dropped before reaching the device (a file truncated or deleted while dirty). */
  cancelledWriteBytes: number
  readBytes: number
}

/** Parses the text of /proc/<pid>/io. */
export function parseProcIo(text: string): IoCounters {
  const field = (name: string): number => {
    const m = new RegExp(`^${name}:\\s*(\\d+)`, 'm').exec(text)
    return m ? Number(m[1]) : 0
  }
  return { writeBytes: field('write_bytes'), cancelledWriteBytes: field('cancelled_write_bytes'), readBytes: field('read_bytes') }
}

let procIoWorks: boolean | undefined

/** This process's I/O counters (all threads, the engines' own background threads included); zeros where /proc is missing. */
export function readProcIo(): IoCounters {
  if (procIoWorks === false) return { writeBytes: 0, cancelledWriteBytes: 0, readBytes: 0 }
  try {
    const io = parseProcIo(readFileSync('/proc/self/io', 'utf8'))
    procIoWorks = true
    return io
  } catch {
    procIoWorks = false
    return { writeBytes: 0, cancelledWriteBytes: 0, readBytes: 0 }
  }
}

export function procIoAvailable(): boolean {
  readProcIo()
  return procIoWorks === true
}

export interface DirSize {
  files: number
  /** Sum of file sizes. */
  apparentBytes: number
  /** Blocks the files occupy (st_blocks × 512): what the disk gives up, sparse files counted fairly. */
  allocatedBytes: number
}

/** Sizes of every file under `dir`, recursively. */
export function dirSize(dir: string): DirSize {
  const out: DirSize = { files: 0, apparentBytes: 0, allocatedBytes: 0 }
  const walk = (d: string) => {
    let names: string[]
    try {
      names = readdirSync(d)
    } catch {
      return
    }
    for (const name of names) {
      const p = join(d, name)
      let st
      try {
        st = statSync(p)
      } catch {
        continue // removed while we looked (a compaction finishing)
      }
      if (st.isDirectory()) walk(p)
      else {
        out.files++
        out.apparentBytes += st.size
        out.allocatedBytes += st.blocks * 512
      }
    }
  }
  walk(dir)
  return out
}

/** fsyncs every file under `dir` (a file that vanishes meanwhile is skipped). */
export function syncFiles(dir: string): void {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return
  }
  for (const name of names) {
    const p = join(dir, name)
    try {
      if (statSync(p).isDirectory()) {
        syncFiles(p)
        continue
      }
      const fd = openSync(p, 'r')
      try {
        fsyncSync(fd)
      } finally {
        closeSync(fd)
      }
    } catch {
      // removed while we looked (a compaction finishing)
    }
  }
}

/**
 * Write amplification: bytes the process wrote to storage (WAL, tables, compaction, GC, until
 * quiescent) per byte of keys and values the workload wrote. NaN when the workload wrote nothing.
 */
export function writeAmplification(deviceBytes: number, userBytes: number): number {
  return userBytes > 0 ? deviceBytes / userBytes : Number.NaN
}

/** Space amplification: bytes the directory occupies per byte of live keys and values. */
export function spaceAmplification(dirBytes: number, liveKeys: number, keySize: number, valueSize: number): number {
  const live = liveKeys * (keySize + valueSize)
  return live > 0 ? dirBytes / live : Number.NaN
}

/** A write rate as a fraction of the device's sequential-write bandwidth (both in bytes/s). */
export function deviceFraction(bytesPerSecond: number, deviceBytesPerSecond: number): number {
  return deviceBytesPerSecond > 0 ? bytesPerSecond / deviceBytesPerSecond : Number.NaN
}

/** The difference of two counter snapshots. */
export function ioDelta(after: IoCounters, before: IoCounters): IoCounters {
  return {
    writeBytes: after.writeBytes - before.writeBytes,
    cancelledWriteBytes: after.cancelledWriteBytes - before.cancelledWriteBytes,
    readBytes: after.readBytes - before.readBytes,
  }
}

/** The median of some numbers (the mean of the middle two for an even count); NaN for none. */
export function median(xs: readonly number[]): number {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b)
  if (s.length === 0) return Number.NaN
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2
}

/** Throughput over time from cumulative (ms, ops) samples: one (mid-point ms, ops/s) per interval. */
export function throughputSeries(samples: readonly (readonly [number, number])[]): [number, number][] {
  const out: [number, number][] = []
  for (let i = 1; i < samples.length; i++) {
    const [t0, n0] = samples[i - 1]
    const [t1, n1] = samples[i]
    if (t1 > t0) out.push([(t0 + t1) / 2, ((n1 - n0) * 1000) / (t1 - t0)])
  }
  return out
}
