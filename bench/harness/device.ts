// The disk's own speed, measured once at the start in the directory being benchmarked, so each
// engine's figures can be read as a fraction of what the device gives: sequential write bandwidth
// (1 MiB writes, then fdatasync, timed together) and synced appends per second (4 KiB append +
// fdatasync, one at a time: the ceiling of a single durable writer).

import { closeSync, fdatasyncSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'

export interface DeviceProbe {
  dir: string
  seqWriteMiB: number
  seqWriteMiBPerSec: number
  syncAppends: number
  syncAppendsPerSec: number
}

export function probeDevice(dir: string, mib: number, syncMs: number): DeviceProbe {
  mkdirSync(dir, { recursive: true })
  const file = join(dir, `device-probe-${process.pid}.tmp`)
  const chunk = Buffer.alloc(1 << 20)
  for (let i = 0; i < chunk.length; i += 8) chunk.writeUInt32LE((i * 2654435761) >>> 0, i) // not all zeros: no filesystem shortcut
  let fd = openSync(file, 'w')
  let t = performance.now()
  try {
    for (let i = 0; i < mib; i++) writeSync(fd, chunk)
    fdatasyncSync(fd)
  } finally {
    closeSync(fd)
  }
  const seqMs = performance.now() - t
  rmSync(file, { force: true })

  const page = chunk.subarray(0, 4096)
  fd = openSync(file, 'w')
  let appends = 0
  t = performance.now()
  let now = t
  try {
    while (now - t < syncMs) {
      writeSync(fd, page)
      fdatasyncSync(fd)
      appends++
      now = performance.now()
    }
  } finally {
    closeSync(fd)
    rmSync(file, { force: true })
  }
  return {
    dir,
    seqWriteMiB: mib,
    seqWriteMiBPerSec: mib / (seqMs / 1000),
    syncAppends: appends,
    syncAppendsPerSec: appends / ((now - t) / 1000),
  }
}
