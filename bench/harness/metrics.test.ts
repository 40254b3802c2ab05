// The arithmetic of amplification, device fractions and throughput series, and the readers of
// /proc/self/io and directory sizes.

import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  deviceFraction, dirSize, ioDelta, median, parseProcIo, procIoAvailable, readProcIo, spaceAmplification,
  throughputSeries, writeAmplification,
} from './metrics.js'

describe('amplification', () => {
  it('write amplification is device bytes over user bytes', () => {
    // 1M puts of 16 B keys + 100 B values = 116 MB; a WAL pass plus ~2.5 rewrites in compaction.
    expect(writeAmplification(406_000_000, 116_000_000)).toBeCloseTo(3.5, 10)
    expect(writeAmplification(0, 116)).toBe(0)
    expect(writeAmplification(1000, 0)).toBeNaN()
  })

  it('space amplification is directory bytes over live keys × (key + value)', () => {
    expect(spaceAmplification(232_000_000, 1_000_000, 16, 100)).toBeCloseTo(2, 10)
    expect(spaceAmplification(58_000_000, 500_000, 16, 100)).toBeCloseTo(1, 10)
    expect(spaceAmplification(4096, 0, 16, 100)).toBeNaN()
  })

  it('device fraction is a rate over the device bandwidth', () => {
    expect(deviceFraction(725 * 1048576, 1450 * 1048576)).toBeCloseTo(0.5, 10)
    expect(deviceFraction(1, 0)).toBeNaN()
  })
})

describe('/proc/self/io', () => {
  const sample = `rchar: 6976
wchar: 120
syscr: 10
syscw: 2
read_bytes: 4096
write_bytes: 52441088
cancelled_write_bytes: 8192
`
  it('parses the counters and subtracts snapshots', () => {
    const io = parseProcIo(sample)
    expect(io).toEqual({ writeBytes: 52441088, cancelledWriteBytes: 8192, readBytes: 4096 })
    expect(ioDelta(io, { writeBytes: 441088, cancelledWriteBytes: 0, readBytes: 4096 }))
      .toEqual({ writeBytes: 52_000_000, cancelledWriteBytes: 8192, readBytes: 0 })
  })

  it.runIf(procIoAvailable())('counts this process writing a synced file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sett-bench-io-'))
    try {
      const before = readProcIo()
      const fd = openSync(join(dir, 'f'), 'w')
      writeFileSync(fd, Buffer.alloc(4 << 20, 1))
      closeSync(fd)
      const after = readProcIo()
      expect(after.writeBytes - before.writeBytes).toBeGreaterThanOrEqual(4 << 20)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('dirSize', () => {
  it('adds file sizes recursively and counts allocated blocks (a sparse file takes little)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sett-bench-dir-'))
    try {
      writeFileSync(join(dir, 'a'), Buffer.alloc(10_000, 1))
      writeFileSync(join(dir, 'b'), Buffer.alloc(3, 1))
      mkdtempSync(join(dir, 'empty-')) // a folder counts nothing
      const fd = openSync(join(dir, 'sparse'), 'w')
      ftruncateSync(fd, 64 << 20)
      closeSync(fd)
      const s = dirSize(dir)
      expect(s.files).toBe(3)
      expect(s.apparentBytes).toBe(10_003 + (64 << 20))
      expect(s.allocatedBytes).toBeGreaterThanOrEqual(10_003)
      expect(s.allocatedBytes).toBeLessThan(1 << 20)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
    expect(dirSize(join(dir, 'gone'))).toEqual({ files: 0, apparentBytes: 0, allocatedBytes: 0 })
  })
})

describe('series and medians', () => {
  it('turns cumulative samples into rates per interval', () => {
    expect(throughputSeries([[0, 0], [100, 1000], [200, 1000], [400, 5000]])).toEqual([
      [50, 10_000], [150, 0], [300, 20_000],
    ])
    expect(throughputSeries([[0, 0]])).toEqual([])
  })

  it('takes medians, ignoring NaN', () => {
    expect(median([3, 1, 2])).toBe(2)
    expect(median([4, 1, 3, 2])).toBe(2.5)
    expect(median([Number.NaN, 5])).toBe(5)
    expect(median([])).toBeNaN()
  })
})
