// The value log alone: entries round-trip through pointers, damage is a CorruptionError naming the
// file (never data), the newest file's torn tail is cut on recovery, and scans see every entry.

import { describe, expect, it } from 'vitest'
import { CorruptionError } from '../base/errors.js'
import { MemFileSystem } from '../base/mem-fs.js'
import { makeRng } from '../tests/support/rng.js'
import { ENTRY_HEADER_SIZE, VLOG_HEADER_SIZE, ValueLog, type ValuePointer, decodePointer, encodePointer } from './index.js'
import { encodeEntry, entrySize } from './format.js'

const options = { maxFileSize: 64 * 1024, maxEntries: 1000, maxOpenFiles: 2 }
const enc = (s: string) => new TextEncoder().encode(s)

async function filled(fs: MemFileSystem, files: number[], perFile: number) {
  const vlog = new ValueLog(fs, '/db', options)
  const rng = makeRng(1)
  const written: { key: Uint8Array; value: Uint8Array; p: ValuePointer }[] = []
  let seq = 1
  for (const n of files) {
    await vlog.startFile(n)
    for (let i = 0; i < perFile; i++) {
      const entries = [{ key: enc(`k${n}-${i}`), seq: seq++, value: rng.bytes(rng.int(3000)) }]
      const [p] = vlog.append(entries)
      written.push({ key: entries[0].key, value: entries[0].value, p })
    }
  }
  await vlog.sync()
  return { vlog, written }
}

describe('ValueLog', () => {
  it('reads back every value through its pointer, across files and a bounded reader set', async () => {
    const fs = new MemFileSystem()
    fs.mkdir('/db')
    const { vlog, written } = await filled(fs, [3, 5, 9], 40)
    for (const w of written) {
      const p = decodePointer(encodePointer(w.p))
      expect(Buffer.from(vlog.read(p, w.key)).equals(w.value)).toBe(true)
    }
    // The wrong key for a pointer is caught: the entry names its key.
    expect(() => vlog.read(written[0].p, enc('other'))).toThrow(CorruptionError)
    const seen: string[] = []
    vlog.scan(5, (e) => seen.push(Buffer.from(e.key).toString()))
    expect(seen).toEqual(written.filter((w) => w.p.fileNumber === 5).map((w) => Buffer.from(w.key).toString()))
    await vlog.close()
  })

  it('hands out values that stay intact through later reads (small ones pass through a shared scratch buffer)', async () => {
    const fs = new MemFileSystem()
    fs.mkdir('/db')
    const { vlog, written } = await filled(fs, [3, 5], 60)
    // Every value kept, none copied, then all compared at the end: a value that aliased the
    // buffer a later read fills would have changed under us.
    const kept = written.map((w) => vlog.read(w.p, w.key))
    for (let i = 0; i < written.length; i++) vlog.read(written[(i * 7) % written.length].p, written[(i * 7) % written.length].key)
    kept.forEach((v, i) => expect(Buffer.from(v).equals(written[i].value)).toBe(true))
    await vlog.close()
  })

  it('hands out large values that stay intact through later reads (they pass through a shared scratch buffer too)', async () => {
    const fs = new MemFileSystem()
    fs.mkdir('/db')
    const vlog = new ValueLog(fs, '/db', { ...options, maxFileSize: 1 << 22 })
    await vlog.startFile(3)
    const rng = makeRng(2)
    const written = Array.from({ length: 12 }, (_, i) => {
      const e = { key: enc(`big${i}`), seq: i + 1, value: rng.bytes(4096 + rng.int(70000)) }
      return { ...e, p: vlog.append([e])[0] }
    })
    const kept = written.map((w) => vlog.read(w.p, w.key))
    for (let i = 0; i < 30; i++) vlog.read(written[(i * 5) % written.length].p, written[(i * 5) % written.length].key)
    kept.forEach((v, i) => expect(Buffer.from(v).equals(written[i].value)).toBe(true))
    await vlog.close()
  })

  it('keeps the most recently used readers open, closing the least recently used one first', async () => {
    const fs = new MemFileSystem()
    fs.mkdir('/db')
    const { vlog, written } = await filled(fs, [3, 5, 9], 5)
    const opened: string[] = []
    const openRead = fs.openRead.bind(fs)
    fs.openRead = (path: string) => {
      opened.push(path.slice(path.lastIndexOf('/') + 1))
      return openRead(path)
    }
    const readFrom = (n: number) => {
      const w = written.find((x) => x.p.fileNumber === n)!
      expect(Buffer.from(vlog.read(w.p, w.key)).equals(w.value)).toBe(true)
    }
    // maxOpenFiles is 2: 3 was used after 5, so opening 9 closes 5, and 3 is read without a reopen.
    for (const n of [3, 5, 3, 3, 9, 3, 9, 5]) readFrom(n)
    expect(opened).toEqual(['000003.vlog', '000005.vlog', '000009.vlog', '000005.vlog'])
    await vlog.close()
  })

  it('reports a flipped bit in an entry as corruption naming the file, never as data', async () => {
    const fs = new MemFileSystem()
    fs.mkdir('/db')
    const { vlog, written } = await filled(fs, [3], 20)
    await vlog.close()
    const rng = makeRng(2)
    for (let i = 0; i < 50; i++) {
      const w = written[rng.int(written.length)]
      const copy = new MemFileSystem()
      copy.mkdir('/db')
      const f = copy.create('/db/000003.vlog')
      f.append(fs.readFile('/db/000003.vlog'))
      await f.sync()
      await copy.syncDir('/db')
      copy.flipBit('/db/000003.vlog', (w.p.offset + rng.int(w.p.length)) * 8 + rng.int(8))
      const v = new ValueLog(copy, '/db', options)
      try {
        // Damage with valid entries after it is caught already here; otherwise by the read.
        await v.recover([3])
        const got = v.read(w.p, w.key)
        throw new Error(`read returned ${got.length} bytes from a damaged entry`)
      } catch (err) {
        if (err instanceof CorruptionError) expect(err.file).toBe('/db/000003.vlog')
        else throw err
      }
    }
  })

  it('reports a bad entry with a valid one after it in the newest file as corruption, not a torn tail', async () => {
    const fs = new MemFileSystem()
    fs.mkdir('/db')
    const { vlog, written } = await filled(fs, [3], 10)
    await vlog.close()
    fs.flipBit('/db/000003.vlog', (written[4].p.offset + 30) * 8)
    await expect(new ValueLog(fs, '/db', options).recover([3])).rejects.toMatchObject({
      code: 'SETT_CORRUPTION', file: '/db/000003.vlog', offset: written[4].p.offset,
    })
  })

  it('cuts a torn tail of the newest file on recovery, keeps older files whole', async () => {
    const fs = new MemFileSystem()
    fs.mkdir('/db')
    const { vlog, written } = await filled(fs, [3, 4], 10)
    await vlog.close()
    const last = written[written.length - 1]
    fs.truncateFile('/db/000004.vlog', last.p.offset + 7)
    const v = new ValueLog(fs, '/db', options)
    const torn = await v.recover([3, 4])
    expect(torn).toEqual({ file: '/db/000004.vlog', offset: last.p.offset })
    expect(v.sizes.get(4)).toBe(last.p.offset)
    // Nothing is written until the caller has checked the WAL against the cut.
    expect(fs.openRead('/db/000004.vlog').size).toBe(last.p.offset + 7)
    await v.sealNewest()
    // Cut at the last whole entry, then a durable marker claiming all of it (format version 2).
    expect(fs.openRead('/db/000004.vlog').size).toBe(last.p.offset + ENTRY_HEADER_SIZE + 8)
    expect(v.sizes.get(4)).toBe(last.p.offset + ENTRY_HEADER_SIZE + 8)
    expect(await new ValueLog(fs, '/db', options).recover([3, 4])).toBeUndefined()
    for (const w of written.slice(0, -1)) expect(Buffer.from(v.read(w.p, w.key)).equals(w.value)).toBe(true)
    expect(() => v.read(last.p, last.key)).toThrow(CorruptionError)
    expect(v.sizes.get(3)! > VLOG_HEADER_SIZE).toBe(true)
  })

  it('reads a crash that persisted any subset of the unsynced pages as a torn tail, keeping every synced entry', async () => {
    for (let round = 0; round < 150; round++) {
      const rng = makeRng(1000 + round)
      const fs = new MemFileSystem()
      fs.mkdir('/db')
      const vlog = new ValueLog(fs, '/db', options)
      await vlog.startFile(7)
      const written: { key: Uint8Array; value: Uint8Array; p: ValuePointer }[] = []
      let synced = 0
      for (let i = 0; i < 12; i++) {
        const batch = Array.from({ length: 1 + rng.int(6) }, (_, j) => ({ key: enc(`k${i}-${j}`), seq: i * 10 + j + 1, value: rng.bytes(500 + rng.int(4000)) }))
        vlog.append(batch).forEach((p, j) => written.push({ key: batch[j].key, value: batch[j].value, p }))
        if (rng.int(4) === 0) {
          await (rng.int(2) === 0 ? vlog.sync() : vlog.seal())
          synced = written.length
        }
      }
      const after = fs.crash({ seed: round, writeback: 'any' })
      const v = new ValueLog(after, '/db', options)
      const torn = await v.recover([7])
      const size = v.sizes.get(7)!
      const kept = written.filter((w) => w.p.offset + w.p.length <= size)
      expect(kept.length, `round ${round}`).toBeGreaterThanOrEqual(synced)
      expect(kept).toEqual(written.slice(0, kept.length))
      for (const w of kept) expect(Buffer.from(v.read(w.p, w.key)).equals(w.value)).toBe(true)
      if (torn !== undefined) expect(torn.offset).toBe(size)
      await v.sealNewest()
      expect(await new ValueLog(after, '/db', options).recover([7])).toBeUndefined()
    }
  })

  it('still reports damage to synced bytes of the newest file when a durable marker claims them', async () => {
    const fs = new MemFileSystem()
    fs.mkdir('/db')
    const { vlog, written } = await filled(fs, [3], 10)
    await vlog.seal()
    // Unsynced entries after the marker, the first of them lost: a torn tail after the claim.
    vlog.append([{ key: enc('late'), seq: 99, value: new Uint8Array(2000).fill(7) }])
    fs.flipBit('/db/000003.vlog', (written[9].p.offset + 25) * 8)
    await expect(new ValueLog(fs, '/db', options).recover([3])).rejects.toMatchObject({
      code: 'SETT_CORRUPTION', file: '/db/000003.vlog', offset: written[9].p.offset,
    })
  })
})

describe('ValueLog appends larger than its reused buffer (1 MiB)', () => {
  it('writes them in pieces that make the same bytes as one write, with pointers that read back', async () => {
    const fs = new MemFileSystem()
    fs.mkdir('/db')
    const vlog = new ValueLog(fs, '/db', { maxFileSize: 64 << 20, maxEntries: 100_000, maxOpenFiles: 2 })
    await vlog.startFile(1)
    const rng = makeRng(7)
    // Sizes that straddle the 1 MiB pieces, one entry larger than a piece alone, and a small
    // append between the large ones (the reused buffer must not keep bytes of the last piece).
    const sizes = [
      [65536, 70000, 1000, 300_000, 500_000, 65536, 65536],
      [(1 << 20) + 5, 10],
      [100],
      [1 << 20, 1 << 20, 1],
      [(1 << 20) - 40, 400_000, 2_000_000, 3],
    ]
    const written: { key: Uint8Array; value: Uint8Array; p: ValuePointer }[] = []
    let seq = 1
    for (const group of sizes) {
      const entries = group.map((n) => ({ key: enc(`k${seq}`), seq: seq++, value: rng.bytes(n) }))
      const pointers = vlog.append(entries)
      entries.forEach((e, i) => written.push({ key: e.key, value: e.value, p: pointers[i] }))
    }
    await vlog.sync()
    // The file holds the entries back to back after its header, as one write of each append did.
    let total = 0
    for (const w of written) total += entrySize(w.key, w.value)
    const expected = new Uint8Array(total)
    let at = 0
    written.forEach((w, i) => {
      expect(w.p).toEqual({ fileNumber: 1, offset: VLOG_HEADER_SIZE + at, length: entrySize(w.key, w.value) })
      encodeEntry(expected, at, w.key, i + 1, 0, w.value)
      at += entrySize(w.key, w.value)
    })
    const bytes = fs.readFile('/db/' + fs.list('/db').find((n) => n.endsWith('.vlog')))
    expect(Buffer.from(bytes.subarray(VLOG_HEADER_SIZE, VLOG_HEADER_SIZE + total)).equals(expected)).toBe(true)
    for (const w of written) expect(Buffer.from(vlog.read(w.p, w.key)).equals(w.value)).toBe(true)
    await vlog.close()
  })
})

describe('ValueLog durable markers', () => {
  it('adds no marker on recovery to a file that already ends in one (a reopen after a clean close)', async () => {
    const fs = new MemFileSystem()
    fs.mkdir('/db')
    const { vlog } = await filled(fs, [3], 5)
    await vlog.close()
    const size = fs.readFile('/db/000003.vlog').length
    for (let i = 0; i < 3; i++) {
      const v = new ValueLog(fs, '/db', options)
      expect(await v.recover([3])).toBeUndefined()
      await v.sealNewest()
      await v.close()
    }
    expect(fs.readFile('/db/000003.vlog').length).toBe(size)
  })
})
