// flatten(): data spread over several levels ends in one, with every key's newest value kept.

import { expect, it } from 'vitest'
import { MemFileSystem } from '../base/mem-fs.js'
import { makeRng } from '../tests/support/rng.js'
import { Model, hex } from '../tests/support/model.js'
import { open } from './index.js'

it('flatten() leaves one non-empty level holding exactly the live data', async () => {
  const db = await open('/db', {
    fs: new MemFileSystem(), memtableSize: 16 * 1024, tableTargetSize: 8 * 1024, levelBaseBytes: 32 * 1024,
    l0CompactionTrigger: 2,
  })
  const rng = makeRng(3)
  const model = new Model()
  for (let i = 0; i < 6000; i++) {
    const k = Buffer.from(`k${String(rng.int(2000)).padStart(5, '0')}`)
    if (rng.chance(0.1)) {
      await db.del(k)
      model.del(k)
    } else {
      const v = Buffer.from(rng.bytes(1 + rng.int(60)))
      await db.put(k, v)
      model.put(k, v)
    }
  }
  await db.flush()
  const levelsWithData = () => db.stats().levels.filter((l) => l.files > 0).map((l) => l.level)
  expect(levelsWithData().length).toBeGreaterThanOrEqual(2)
  await db.flatten()
  expect(levelsWithData()).toHaveLength(1)
  expect([...db.iterator()].map(([k, v]) => `${hex(k)}=${hex(v)}`).join('\n')).toBe(model.dump())
  await db.close()
})
