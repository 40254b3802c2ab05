// repair() under power loss: a repair crashed at each of its file operations in turn, the machine
// losing what was not synced (and, in a second pass, keeping a random part of the unsynced
// directory changes), then repaired again, must open with every key that survived the damage.
// This is what its order (tables synced, CURRENT copied, manifest published, then files moved)
// promises.

import { beforeAll, describe, expect, it } from 'vitest'
import { CrashError, MemFileSystem } from '../base/mem-fs.js'
import { decodeInternalKey } from '../base/internal-key.js'
import { BlockCache, TableReader } from '../sstable/index.js'
import { cloneFs } from '../tests/support/clone-fs.js'
import { Model, hex } from '../tests/support/model.js'
import { makeRng } from '../tests/support/rng.js'
import { type Options, open, repair } from './index.js'

const DIR = '/db'
const options = (fs: MemFileSystem): Options => ({
  fs, memtableSize: 8 * 1024, blockSize: 512, tableTargetSize: 4 * 1024, valueThreshold: 256, compactionWorker: false,
})

let damaged: MemFileSystem
let model: Model
let mayLose: (k: string) => boolean

beforeAll(async () => {
  const fs = new MemFileSystem()
  const db = await open(DIR, options(fs))
  const rng = makeRng(21)
  model = new Model()
  for (let i = 0; i < 900; i++) {
    const k = new TextEncoder().encode(`key${String(rng.int(400)).padStart(4, '0')}`)
    if (rng.int(8) === 0) {
      await db.del(k)
      model.del(k)
    } else {
      const v = rng.bytes(rng.int(6) === 0 ? 300 : 30)
      await db.put(k, v)
      model.put(k, v)
    }
  }
  await db.put('tail', 'in the WAL')
  model.put(new TextEncoder().encode('tail'), new TextEncoder().encode('in the WAL'))
  await db.close()
  // Garbage in CURRENT and a flipped byte in one table's second data block.
  damaged = await cloneFs(fs)
  const f = damaged.create(`${DIR}/CURRENT`)
  f.append(new TextEncoder().encode('garbage'))
  await f.sync()
  await f.close()
  const table = damaged.list(DIR).filter((n) => n.endsWith('.sst')).sort((a, b) => damaged.readFile(`${DIR}/${b}`).length - damaged.readFile(`${DIR}/${a}`).length)[0]
  const reader = TableReader.open(damaged, `${DIR}/${table}`, 1, new BlockCache(0))
  const h = reader.blockHandle(1)
  const low = hex(decodeInternalKey(reader.indexKey(0)).userKey)
  const high = hex(decodeInternalKey(reader.indexKey(1)).userKey)
  reader.close()
  mayLose = (k) => k >= low && k <= high
  const bytes = damaged.readFile(`${DIR}/${table}`).slice()
  bytes[h.offset + 3] ^= 0x08
  const t = damaged.create(`${DIR}/${table}`)
  t.append(bytes)
  await t.sync()
  await t.close()
})

async function expectModel(fs: MemFileSystem, where: string): Promise<void> {
  const db = await open(DIR, options(fs))
  try {
    const got = new Map([...db.iterator()].map(([k, v]) => [hex(k), v.toString('hex')]))
    for (const [k, v] of model.map) if (!mayLose(k)) expect(got.get(k), `${where}: ${k}`).toBe(v.toString('hex'))
    for (const k of got.keys()) if (!mayLose(k)) expect(model.map.has(k), `${where}: phantom ${k}`).toBe(true)
  } finally {
    await db.close()
  }
}

describe('repair under power loss', () => {
  it('crashed at every file operation, then repaired again: every surviving key reads back', async () => {
    const probe = await cloneFs(damaged)
    const before = probe.opCount
    await repair(DIR, { fs: probe })
    const ops = probe.opCount - before
    expect(ops).toBeGreaterThan(10)
    await expectModel(probe, 'uncrashed')

    let crashes = 0
    for (const keepUnsyncedNameOps of [false, true]) {
      for (let k = 1; k <= ops; k++) {
        const fs = await cloneFs(damaged)
        fs.crashAfter(k)
        await expect(repair(DIR, { fs })).rejects.toBeInstanceOf(CrashError)
        crashes++
        const after = fs.crash({ seed: k, keepUnsyncedNameOps })
        await repair(DIR, { fs: after })
        await expectModel(after, `crash at op ${k}${keepUnsyncedNameOps ? ' (some name ops kept)' : ''}`)
      }
    }
    expect(crashes).toBe(2 * ops)
  }, 120_000)
})
