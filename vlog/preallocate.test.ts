// The value log's preallocated zero tail (VLOG_PREALLOCATE): the active file keeps written zeros
// past its entries; recovery reads an all-zero rest as the clean end (no torn tail) and cuts it; a
// file stops being active only after its tail was cut in the sync that closes it, with no zeros
// written after the cut; scans take an all-zero rest as the end and still call anything else
// damage; random crashes (both writeback models) across several files keep every synced entry.
// Never relies on a real disk: MemFileSystem models the overwrites of zeros and what a crash keeps.

import { describe, expect, it } from 'vitest'
import { CorruptionError } from '../base/errors.js'
import { MemFileSystem } from '../base/mem-fs.js'
import { makeRng } from '../tests/support/rng.js'
import { ENTRY_HEADER_SIZE, VLOG_HEADER_SIZE, ValueLog, type ValuePointer } from './index.js'

const DIR = '/db'
const enc = (s: string) => new TextEncoder().encode(s)
const path = (n: number) => `${DIR}/${String(n).padStart(6, '0')}.vlog`
const allZero = (b: Uint8Array) => b.every((x) => x === 0)
const MARKER = ENTRY_HEADER_SIZE + 8

interface Written { key: Uint8Array; value: Uint8Array; p: ValuePointer }

function fresh(): MemFileSystem {
  const fs = new MemFileSystem()
  fs.mkdir(DIR)
  return fs
}

function appendOne(vlog: ValueLog, written: Written[], key: string, size: number, fill: number): void {
  const value = new Uint8Array(size).fill(fill)
  const [p] = vlog.append([{ key: enc(key), seq: written.length + 1, value }])
  written.push({ key: enc(key), value, p })
}

describe('ValueLog with a preallocated active file', () => {
  it('keeps written zeros past the entries once synced; a crash leaves them and recovery reads them as the clean end', async () => {
    const fs = fresh()
    const vlog = new ValueLog(fs, DIR, { maxFileSize: 64 << 20, maxEntries: 1 << 20, maxOpenFiles: 4 })
    await vlog.startFile(3)
    const written: Written[] = []
    for (let i = 0; i < 20; i++) appendOne(vlog, written, `k${i}`, 3000, i + 1)
    await vlog.sync()
    const end = vlog.sizes.get(3)!
    const onDisk = fs.readFile(path(3))
    expect(onDisk.length).toBeGreaterThan(end) // the zeros are there
    expect(allZero(onDisk.subarray(end))).toBe(true)
    // The active file's entries scan to their end (the size the value log keeps, not the file's).
    const seen: number[] = []
    expect(vlog.scanFrom(3, VLOG_HEADER_SIZE, (_e, at) => void seen.push(at))).toBe(end)
    expect(seen).toEqual(written.map((w) => w.p.offset))

    for (const writeback of ['prefix', 'any'] as const) {
      const after = fs.crash({ writeback, seed: 5 })
      expect(after.readFile(path(3)).length).toBe(onDisk.length)
      const v = new ValueLog(after, DIR, { maxFileSize: 64 << 20, maxEntries: 1 << 20, maxOpenFiles: 4 })
      // Not a torn tail: nothing was lost that was ever written.
      expect(await v.recover([3])).toBeUndefined()
      expect(v.sizes.get(3)).toBe(end)
      for (const w of written) expect(Buffer.from(v.read(w.p, w.key)).equals(w.value)).toBe(true)
      await v.sealNewest()
      // Cut to the entries, then the marker: what a clean close leaves.
      expect(after.readFile(path(3)).length).toBe(end + MARKER)
      expect(after.crash().readFile(path(3)).length).toBe(end + MARKER)
      const again = new ValueLog(after, DIR, { maxFileSize: 64 << 20, maxEntries: 1 << 20, maxOpenFiles: 4 })
      expect(await again.recover([3])).toBeUndefined()
      expect(again.sizes.get(3)).toBe(end + MARKER)
    }
  })

  it('a lost unsynced append reads as zeros again: the clean end, with every synced entry', async () => {
    const fs = fresh()
    const vlog = new ValueLog(fs, DIR, { maxFileSize: 64 << 20, maxEntries: 1 << 20, maxOpenFiles: 4 })
    await vlog.startFile(3)
    const written: Written[] = []
    appendOne(vlog, written, 'synced', 5000, 1)
    await vlog.sync()
    const synced = vlog.sizes.get(3)!
    appendOne(vlog, written, 'lost', 5000, 2) // over the zeros, never synced
    const after = fs.crash({ tearUnsynced: false, seed: 1, writeback: 'any' })
    const image = after.readFile(path(3))
    const v = new ValueLog(after, DIR, { maxFileSize: 64 << 20, maxEntries: 1 << 20, maxOpenFiles: 4 })
    const torn = await v.recover([3])
    if (allZero(image.subarray(synced))) {
      expect(torn).toBeUndefined()
      expect(v.sizes.get(3)).toBe(synced)
    } else {
      // Some of the lost append's pages reached the disk: the whole entry or a torn tail.
      expect(v.sizes.get(3)! === synced ? torn?.offset : v.sizes.get(3)).toBe(v.sizes.get(3) === synced ? synced : synced + written[1].p.length)
    }
    expect(Buffer.from(v.read(written[0].p, written[0].key)).equals(written[0].value)).toBe(true)
  })

  it('startFile() cuts the old file to its marker in the sync that closes it, writing no zeros after the cut', async () => {
    const fs = fresh()
    const vlog = new ValueLog(fs, DIR, { maxFileSize: 64 << 20, maxEntries: 1 << 20, maxOpenFiles: 4 })
    await vlog.startFile(3)
    const written: Written[] = []
    for (let i = 0; i < 40; i++) appendOne(vlog, written, `k${i}`, 1500, 9) // 60 KiB: the tail wants extending
    const syncedLengths: number[] = []
    fs.onOperation = (op) => {
      if (op.kind === 'sync' && op.path === path(3)) syncedLengths.push(fs.readFile(path(3)).length)
    }
    await vlog.startFile(4)
    fs.onOperation = undefined
    const end = written[written.length - 1].p.offset + written[written.length - 1].p.length
    // Every sync of the old file during the switch saw it without zeros: the entries, then the marker.
    expect(syncedLengths.length).toBeGreaterThan(0)
    for (const n of syncedLengths) expect([end, end + MARKER]).toContain(n)
    expect(fs.readFile(path(3)).length).toBe(end + MARKER)
    // And a crash right after keeps it so (the cut was synced before the new file existed).
    expect(fs.crash({ writeback: 'any', seed: 3 }).readFile(path(3)).length).toBe(end + MARKER)
    expect(vlog.sizes.get(3)).toBe(end + MARKER)
    // The new file is the one with the zeros now.
    await vlog.sync()
    expect(fs.readFile(path(4)).length).toBeGreaterThan(VLOG_HEADER_SIZE)
    await vlog.close()
    expect(fs.readFile(path(4)).length).toBe(VLOG_HEADER_SIZE) // nothing appended: no marker, no zeros
  })

  it('close() leaves the file ending at its marker, and its syncs write no zeros', async () => {
    const fs = fresh()
    const vlog = new ValueLog(fs, DIR, { maxFileSize: 64 << 20, maxEntries: 1 << 20, maxOpenFiles: 4 })
    await vlog.startFile(3)
    const written: Written[] = []
    for (let i = 0; i < 30; i++) appendOne(vlog, written, `k${i}`, 2000, 3) // unsynced: close's syncs would extend
    const syncedLengths: number[] = []
    fs.onOperation = (op) => {
      if (op.kind === 'sync') syncedLengths.push(fs.readFile(op.path).length)
    }
    await vlog.close()
    fs.onOperation = undefined
    const end = written[written.length - 1].p.offset + written[written.length - 1].p.length
    for (const n of syncedLengths) expect([end, end + MARKER]).toContain(n)
    expect(fs.crash().readFile(path(3)).length).toBe(end + MARKER)
  })

  it('scanFrom() takes an all-zero rest of a file as its end, and a non-zero byte after zeros as damage', async () => {
    const fs = fresh()
    const vlog = new ValueLog(fs, DIR, { maxFileSize: 64 << 20, maxEntries: 1 << 20, maxOpenFiles: 4 })
    await vlog.startFile(3)
    const written: Written[] = []
    for (let i = 0; i < 5; i++) appendOne(vlog, written, `k${i}`, 1000, i + 1)
    await vlog.close()
    const entries = fs.readFile(path(3))
    const copy = async (bytes: Uint8Array): Promise<ValueLog> => {
      const f = fs.create(path(3))
      f.append(bytes)
      await f.sync()
      const v = new ValueLog(fs, DIR, { maxFileSize: 64 << 20, maxEntries: 1 << 20, maxOpenFiles: 4 })
      // An older file: its size is taken as found (recovery reads only the newest one).
      await v.recover([3, 4].filter((n) => fs.exists(path(n))))
      return v
    }
    await vlog.startFile(4) // so that 3 is not the newest (recover would cut its tail)
    fs.onOperation = undefined
    const zeros = new Uint8Array(70_000)
    let v = await copy(Buffer.concat([entries, zeros]))
    expect(v.sizes.get(3)).toBe(entries.length + zeros.length)
    let n = 0
    expect(v.scanFrom(3, VLOG_HEADER_SIZE, () => void n++)).toBe(entries.length)
    expect(n).toBe(5)
    const junk = zeros.slice()
    junk[60_000] = 1
    v = await copy(Buffer.concat([entries, junk]))
    expect(() => v.scanFrom(3, VLOG_HEADER_SIZE, () => {})).toThrow(CorruptionError)
  })

  it('random crashes across several preallocated files (both writeback models) keep every synced entry; only the newest file has zeros', async () => {
    const SEED = Number(process.env.SEED ?? 77)
    for (let round = 0; round < 120; round++) {
      const rng = makeRng(SEED * 1000 + round)
      const fs = fresh()
      const opts = { maxFileSize: 256 * 1024, maxEntries: 1 << 20, maxOpenFiles: 4 }
      const vlog = new ValueLog(fs, DIR, opts)
      let number = 1
      await vlog.startFile(number)
      const files = [number]
      const written: Written[] = []
      let synced = 0
      for (let i = 0; i < 60; i++) {
        const batch = Array.from({ length: 1 + rng.int(3) }, (_, j) => ({ key: enc(`k${i}-${j}`), seq: i * 10 + j + 1, value: rng.bytes(1 + rng.int(20_000)) }))
        const bytes = batch.reduce((t, e) => t + ENTRY_HEADER_SIZE + e.key.length + e.value.length, 0)
        if (vlog.needsNewFile(bytes)) {
          await vlog.startFile(++number)
          files.push(number)
          synced = written.length // the old file was synced and sealed
        }
        vlog.append(batch).forEach((p, j) => written.push({ key: batch[j].key, value: batch[j].value, p }))
        const r = rng.int(4)
        if (r === 0) await vlog.sync()
        else if (r === 1) await vlog.seal()
        if (r <= 1) synced = written.length
      }
      const after = fs.crash({ seed: round, writeback: round % 2 === 0 ? 'any' : 'prefix', tearUnsynced: round % 3 === 0 })
      for (const n of files.slice(0, -1)) {
        const image = after.readFile(path(n))
        // An older file ends at its marker: no zero tail survives its close.
        const last = written.filter((w) => w.p.fileNumber === n).at(-1)!
        expect(image.length, `round ${round} file ${n}`).toBe(last.p.offset + last.p.length + MARKER)
      }
      const v = new ValueLog(after, DIR, opts)
      const torn = await v.recover(files)
      const newest = files[files.length - 1]
      const size = v.sizes.get(newest)!
      const kept = written.filter((w) => w.p.fileNumber !== newest || w.p.offset + w.p.length <= size)
      expect(kept.length, `round ${round}`).toBeGreaterThanOrEqual(synced)
      expect(kept).toEqual(written.slice(0, kept.length))
      for (const w of kept) expect(Buffer.from(v.read(w.p, w.key)).equals(w.value)).toBe(true)
      if (torn !== undefined) expect(torn.offset).toBe(size)
      else expect(allZero(after.readFile(path(newest)).subarray(size))).toBe(true)
      for (const n of files.slice(0, -1)) {
        let entries = 0
        v.scanFrom(n, VLOG_HEADER_SIZE, () => void entries++)
        expect(entries).toBe(written.filter((w) => w.p.fileNumber === n).length)
      }
      await v.sealNewest()
      expect(after.readFile(path(newest)).length).toBeLessThanOrEqual(size + MARKER)
      expect(await new ValueLog(after, DIR, opts).recover(files)).toBeUndefined()
    }
  })
})
