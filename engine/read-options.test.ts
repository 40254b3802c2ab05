// Unknown option names on reads and deletes are refused with InvalidArgumentError naming the
// closest known one: get, getSync, getEntry, has, hasSync, getMany, getManySync, del. Known names,
// undefined values and absent options still work.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { InvalidArgumentError, MemFileSystem, open, type DB } from './index.js'

let db: DB

beforeAll(async () => {
  db = await open('/db', { fs: new MemFileSystem() })
  await db.put('k', 'v')
})

afterAll(() => db.close())

const expectRefused = async (call: () => unknown, pattern: RegExp): Promise<void> => {
  let thrown: unknown
  try {
    await call()
  } catch (err) {
    thrown = err
  }
  expect(thrown).toBeInstanceOf(InvalidArgumentError)
  expect((thrown as Error).message).toMatch(pattern)
}

describe('read and delete option names', () => {
  const reads: [string, (o: never) => unknown][] = [
    ['get', (o) => db.get('k', o)],
    ['getSync', (o) => db.getSync('k', o)],
    ['getEntry', (o) => db.getEntry('k', o)],
    ['has', (o) => db.has('k', o)],
    ['hasSync', (o) => db.hasSync('k', o)],
    ['getMany', (o) => db.getMany(['k'], o)],
    ['getManySync', (o) => db.getManySync(['k'], o)],
  ]

  it('the promise-returning ones reject rather than throw', async () => {
    for (const p of [db.get('k', { snapshto: 1 } as never), db.has('k', { snapshto: 1 } as never), db.getMany(['k'], { snapshto: 1 } as never), db.del('k', { snyc: 1 } as never)]) {
      await expect(p).rejects.toBeInstanceOf(InvalidArgumentError)
    }
  })

  for (const [name, read] of reads) {
    it(`${name} refuses a misspelt option, suggesting the right one, and accepts the known one`, async () => {
      const snapshot = db.snapshot()
      try {
        await expectRefused(() => read({ snapshto: snapshot } as never), /unknown option options\.snapshto \(did you mean snapshot\?\)/)
        await expectRefused(() => read({ valueEncoding: 'utf8' } as never), /unknown option options\.valueEncoding/)
        await expectRefused(() => read('snapshot' as never), /options must be an object/)
        const known = await read({ snapshot } as never)
        const none = await read(undefined as never)
        const blank = await read({ snapshot: undefined, other: undefined } as never)
        expect(known).toEqual(none)
        expect(blank).toEqual(none)
      } finally {
        snapshot.release()
      }
    })
  }

  it('del refuses a misspelt option, suggesting sync, and writes nothing', async () => {
    await expectRefused(() => db.del('k', { snyc: true } as never), /unknown option options\.snyc \(did you mean sync\?\)/)
    expect(db.getSync('k')?.toString()).toBe('v')
    await db.del('k', { sync: true })
    expect(db.getSync('k')).toBeUndefined()
    await db.put('k', 'v')
    await db.del('k', undefined)
    expect(db.getSync('k')).toBeUndefined()
    await db.put('k', 'v')
  })
})
