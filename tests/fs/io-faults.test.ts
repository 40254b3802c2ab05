// The I/O-fault model and the units that must stop at the first failure: the value log, the WAL
// writer and the manifest writer. After a failed fsync a later fsync of the same file succeeds
// (Linux) while the bytes the failed one covered are gone: each unit must refuse to go on.

import { describe, expect, it } from 'vitest'
import { IOError } from '../../base/errors.js'
import { IOFaultFileSystem } from '../../base/io-fault-fs.js'
import { MemFileSystem } from '../../base/mem-fs.js'
import { ValueLog } from '../../vlog/index.js'
import { LogWriter, readLog } from '../../wal/index.js'
import { ManifestWriter, emptyEdit } from '../../manifest/index.js'

const enc = (s: string) => new TextEncoder().encode(s)

function faultFs(): { mem: MemFileSystem; fs: IOFaultFileSystem } {
  const mem = new MemFileSystem()
  mem.mkdir('/db')
  return { mem, fs: new IOFaultFileSystem(mem) }
}

describe('IOFaultFileSystem', () => {
  it('loses the bytes a failed fsync covered, even after a later fsync succeeds', async () => {
    const { fs } = faultFs()
    const f = fs.create('/db/a')
    f.append(enc('synced|'))
    await f.sync()
    f.append(enc('lost|'))
    fs.arm({ kind: 'sync', errno: 'EIO', at: 1 })
    await expect(f.sync()).rejects.toThrow(IOError)
    expect(fs.injected).toEqual({ kind: 'sync', errno: 'EIO', path: '/db/a' })
    f.append(enc('later'))
    await f.sync() // reports success, as Linux does
    await fs.syncDir('/db')
    // Reads still see every byte (page cache); the disk does not.
    expect(new TextDecoder().decode(fs.readFile('/db/a'))).toBe('synced|lost|later')
    const after = fs.powerLoss({ tearUnsynced: false })
    const bytes = after.readFile('/db/a')
    expect(new TextDecoder().decode(bytes.subarray(0, 7))).toBe('synced|')
    expect([...bytes.subarray(7, 12)].every((b) => b === 0)).toBe(true)
    expect(new TextDecoder().decode(bytes.subarray(12))).toBe('later')
  })

  it('fails each kind at its at-th operation only, with the errno as the cause', () => {
    const { fs } = faultFs()
    fs.arm({ kind: 'create', errno: 'ENOSPC', at: 2 })
    fs.create('/db/one')
    let caught: unknown
    try {
      fs.create('/db/two')
    } catch (err) {
      caught = err
    }
    expect(caught).toBeInstanceOf(IOError)
    expect(((caught as IOError).cause as { code: string }).code).toBe('ENOSPC')
    expect(fs.exists('/db/two')).toBe(false)
    fs.create('/db/three')
    expect(fs.counts.create).toBe(3)
  })
})

describe('the first failure stops each writer', () => {
  it('value log: a failed fsync is never papered over by a later sync (finding 1)', async () => {
    const { fs } = faultFs()
    const vlog = new ValueLog(fs, '/db', { maxFileSize: 1 << 20, maxEntries: 1000, maxOpenFiles: 4 })
    await vlog.startFile(1)
    vlog.append([{ key: enc('a'), seq: 1, value: new Uint8Array(100) }])
    fs.arm({ kind: 'sync', errno: 'EIO', at: 1 })
    await expect(vlog.sync()).rejects.toThrow(IOError)
    // Before the fix the flag was already clear: this sync resolved without an fsync.
    await expect(vlog.sync()).rejects.toThrow(IOError)
    expect(() => vlog.append([{ key: enc('b'), seq: 2, value: new Uint8Array(100) }])).toThrow(IOError)
    await expect(vlog.startFile(2)).rejects.toThrow(IOError)
    expect(vlog.failed).toBeInstanceOf(IOError)
    await vlog.close() // closing still works
  })

  it('value log: closeActive does not clear the flag when its fsync fails', async () => {
    const { fs } = faultFs()
    const vlog = new ValueLog(fs, '/db', { maxFileSize: 1 << 20, maxEntries: 1000, maxOpenFiles: 4 })
    await vlog.startFile(1)
    vlog.append([{ key: enc('a'), seq: 1, value: new Uint8Array(100) }])
    fs.arm({ kind: 'sync', errno: 'EIO', at: 1 })
    await expect(vlog.startFile(2)).rejects.toThrow(IOError)
    await expect(vlog.sync()).rejects.toThrow(IOError)
  })

  it('WAL writer: poisoned by a failed fsync, it never syncs again (finding 2)', async () => {
    const { fs } = faultFs()
    const wal = LogWriter.create(fs.create('/db/000001.wal'), 'wal')
    wal.append(enc('one'))
    await wal.sync()
    wal.append(enc('two'))
    fs.arm({ kind: 'sync', errno: 'EIO', at: 1 })
    await expect(wal.sync()).rejects.toThrow(IOError)
    const syncs = fs.counts.sync
    await expect(wal.sync()).rejects.toThrow(IOError)
    expect(() => wal.append(enc('three'))).toThrow(IOError)
    expect(fs.counts.sync).toBe(syncs)
    await wal.close()
  })

  it('WAL writer: a failed write poisons it too', async () => {
    const { fs } = faultFs()
    const wal = LogWriter.create(fs.create('/db/000001.wal'), 'wal')
    fs.arm({ kind: 'write', errno: 'ENOSPC', at: 1 })
    expect(() => wal.append(enc('one'))).toThrow(IOError)
    expect(() => wal.append(enc('two'))).toThrow(IOError)
    await expect(wal.sync()).rejects.toThrow(IOError)
  })

  it('manifest writer: refuses edits after a failed one, and the manifest still opens (finding 3)', async () => {
    const { fs } = faultFs()
    const snapshot = emptyEdit()
    snapshot.nextFileNumber = 10
    const m = await ManifestWriter.create(fs, '/db', 2, snapshot)
    const edit = emptyEdit()
    edit.lastSeq = 5
    await m.append(edit)
    fs.arm({ kind: 'sync', errno: 'EIO', at: 1 })
    await expect(m.append({ ...emptyEdit(), lastSeq: 6 })).rejects.toThrow(IOError)
    await expect(m.append({ ...emptyEdit(), lastSeq: 7 })).rejects.toThrow(IOError)
    expect(m.failed).toBeInstanceOf(IOError)
    await m.close()
    // After a power loss the manifest reads as synced records plus a torn (zeroed) tail.
    const after = fs.powerLoss({ tearUnsynced: false })
    const file = after.openRead('/db/MANIFEST-000002')
    const seen: number[] = []
    readLog(file, 'manifest', { tolerateTornTail: true }, (rec) => seen.push(rec.payload.length))
    expect(seen.filter((n) => n > 0)).toHaveLength(2)
  })
})
