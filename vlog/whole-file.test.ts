// Whole value-log files (version 3): the writer's entries read back through their pointers, a
// whole file passes checkWholeFile and anything cut or damaged fails it, a scan (GC) sees the
// entries and not the closing marker, and recovery never takes a whole file for the newest one
// with a torn tail, even when it is numbered above it.

import { describe, expect, it } from 'vitest'
import { CorruptionError } from '../base/errors.js'
import { MemFileSystem } from '../base/mem-fs.js'
import { makeRng } from '../tests/support/rng.js'
import { MARKER_SIZE, VLOG_FORMAT_WHOLE, VLOG_HEADER_SIZE, ValueLog, type ValuePointer, WholeFileWriter, checkFileHeader, checkWholeFile } from './index.js'
import { encodeEntry, entrySize } from './format.js'

const DIR = '/db'
const options = { maxFileSize: 64 * 1024, maxEntries: 1000, maxOpenFiles: 2 }
const enc = (s: string) => new TextEncoder().encode(s)
const path = (n: number) => `${DIR}/${String(n).padStart(6, '0')}.vlog`

async function writeWhole(fs: MemFileSystem, n: number, sizes: number[]) {
  const rng = makeRng(n)
  const w = new WholeFileWriter(fs, path(n), n)
  const written: { key: Uint8Array; seq: number; value: Uint8Array; p: ValuePointer }[] = []
  sizes.forEach((size, i) => {
    const key = enc(`k${n}-${i}`)
    const value = rng.bytes(size)
    written.push({ key, seq: i + 1, value, p: w.add(key, i + 1, value) })
  })
  const size = await w.finish()
  await fs.syncDir(DIR) // the caller's step (the compaction job's), before any edit names the file
  return { size, written, entries: w.entries }
}

describe('WholeFileWriter and checkWholeFile', () => {
  it('writes a version-3 header, the entries and a closing marker; every pointer reads back its value', async () => {
    const fs = new MemFileSystem()
    fs.mkdir(DIR)
    // Entries around and beyond the writer's 1 MiB buffer, so some go through a buffer of their own.
    const sizes = [10, 5000, 600 * 1024, 700 * 1024, 1500 * 1024, 1, 16 * 1024]
    const { size, written, entries } = await writeWhole(fs, 7, sizes)
    const data = fs.readFile(path(7))
    expect(data.length).toBe(size)
    expect(size).toBe(VLOG_HEADER_SIZE + sizes.reduce((t, s, i) => t + entrySize(written[i].key, written[i].value), 0) + MARKER_SIZE)
    expect(checkFileHeader(path(7), data)).toBe(VLOG_FORMAT_WHOLE)
    expect(checkWholeFile(path(7), data)).toBe(sizes.length)
    expect(entries).toBe(sizes.length)
    const vlog = new ValueLog(fs, DIR, options)
    await vlog.recover([7])
    expect(vlog.sizes.get(7)).toBe(size)
    for (const w of written) expect(Buffer.from(vlog.read(w.p, w.key)).equals(w.value)).toBe(true)
    // A scan (value-log GC) sees every entry, in order, and not the closing marker.
    const seen: number[] = []
    vlog.scan(7, (e, at) => void seen.push(at, e.seq))
    expect(seen).toEqual(written.flatMap((w) => [w.p.offset, w.seq]))
    await vlog.close()
  })

  it('an empty whole file is its header and closing marker', async () => {
    const fs = new MemFileSystem()
    fs.mkdir(DIR)
    const { size } = await writeWhole(fs, 3, [])
    expect(size).toBe(VLOG_HEADER_SIZE + MARKER_SIZE)
    expect(checkWholeFile(path(3), fs.readFile(path(3)))).toBe(0)
  })

  it('a file cut anywhere, a flipped bit, a missing or misplaced closing marker, or another version fails the check', async () => {
    const fs = new MemFileSystem()
    fs.mkdir(DIR)
    const { size, written } = await writeWhole(fs, 5, [300, 2000, 40])
    const whole = fs.readFile(path(5)).slice()
    const fails = (data: Uint8Array) => expect(() => checkWholeFile(path(5), data)).toThrow(CorruptionError)
    for (const cut of [VLOG_HEADER_SIZE, written[1].p.offset, written[2].p.offset + 10, size - MARKER_SIZE, size - 1]) fails(whole.subarray(0, cut))
    for (const bit of [8 * 20, 8 * (written[1].p.offset + 100), 8 * (size - 3)]) {
      const bad = whole.slice()
      bad[bit >> 3] ^= 1 << (bit & 7)
      fails(bad)
    }
    // Bytes after the closing marker: not whole.
    fails(Uint8Array.of(...whole, 0, 0, 0))
    // A marker that claims another offset does not close the file.
    const other = new Uint8Array(size)
    other.set(whole.subarray(0, size - MARKER_SIZE))
    const marker = new Uint8Array(8)
    marker[0] = 1
    encodeEntry(other, size - MARKER_SIZE, new Uint8Array(0), 0, 0, marker)
    fails(other)
    // A version-2 file is not a whole one.
    const v2 = whole.slice()
    v2.set([2, 0, 0, 0], 8)
    fails(v2)
  })

  it('recovery cuts the torn tail of the newest version-2 file even when a whole file is numbered above it, and leaves the whole file alone', async () => {
    const fs = new MemFileSystem()
    fs.mkdir(DIR)
    const vlog = new ValueLog(fs, DIR, options)
    await vlog.startFile(4)
    const [a] = vlog.append([{ key: enc('a'), seq: 1, value: new Uint8Array(500).fill(1) }])
    await vlog.sync()
    const [b] = vlog.append([{ key: enc('b'), seq: 2, value: new Uint8Array(500).fill(2) }])
    // A flush wrote whole file 9 while file 4 was the active one.
    const whole = await writeWhole(fs, 9, [800, 900])
    const crashed = fs.crash({ seed: 1 })
    // Whatever of b reached the disk, a bad byte in it: the unsynced entry is torn.
    crashed.flipBit(path(4), 8 * (b.offset + 30))
    const re = new ValueLog(crashed, DIR, options)
    const torn = await re.recover([4, 9])
    expect(torn).toEqual({ file: path(4), offset: b.offset })
    expect(re.sizes.get(4)).toBe(a.offset + a.length)
    expect(re.sizes.get(9)).toBe(whole.size)
    await re.sealNewest()
    expect(crashed.readFile(path(9)).length).toBe(whole.size)
    expect(checkWholeFile(path(9), crashed.readFile(path(9)))).toBe(2)
    for (const w of whole.written) expect(Buffer.from(re.read(w.p, w.key)).equals(w.value)).toBe(true)
    await re.close()
    await vlog.close()
  })

  it('a whole file alone (no appendable file yet) recovers with nothing to seal', async () => {
    const fs = new MemFileSystem()
    fs.mkdir(DIR)
    const whole = await writeWhole(fs, 2, [100])
    const vlog = new ValueLog(fs, DIR, options)
    expect(await vlog.recover([2])).toBeUndefined()
    await vlog.sealNewest()
    expect(fs.readFile(path(2)).length).toBe(whole.size)
    await vlog.close()
  })
})
