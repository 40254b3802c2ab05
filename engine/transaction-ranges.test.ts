// Range reads in transactions: the keys an iterator's range covered count as read, so a key
// another commit inserts into a range a transaction scanned (a phantom) is a conflict. The two
// phantom forms of issue 16 (by prefix, by gte/lt), the ends of a covered range under limit,
// reverse and seek, and a model test against the covered range computed from what was returned.

import { describe, expect, it } from 'vitest'
import { ConflictError } from '../base/errors.js'
import { MemFileSystem } from '../base/mem-fs.js'
import { makeRng, testSeed } from '../tests/support/rng.js'
import { type DB, type Options, open } from './index.js'
import type { Transaction } from './transaction.js'

const options = (fs: MemFileSystem, extra: Options = {}): Options => ({
  fs, memtableSize: 32 * 1024, tableTargetSize: 16 * 1024, levelBaseBytes: 64 * 1024, ...extra,
})
const turn = () => new Promise((r) => setImmediate(r))

type Scan = (txn: Transaction) => number

/** Each doctor goes on call only if nobody is: both run concurrently, so one must conflict. */
async function bothGoOnCall(db: DB, scan: Scan): Promise<PromiseSettledResult<void>[]> {
  const goOnCall = (me: string) => db.transaction(async (txn) => {
    const onCall = scan(txn)
    await turn()
    if (onCall === 0) txn.put(`oncall/${me}`, '1')
  })
  return Promise.allSettled([goOnCall('alice'), goOnCall('bob')])
}

async function expectOneRefused(scan: Scan): Promise<void> {
  const db = await open('/db', options(new MemFileSystem()))
  await db.batch([{ type: 'put', key: 'oncal', value: 'x' }, { type: 'put', key: 'oncall0', value: 'x' }])
  const results = await bothGoOnCall(db, scan)
  expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected'])
  expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError)
  expect([...db.iterator({ prefix: 'oncall/', keysOnly: true })].length).toBe(1)
  await db.close()
}

describe('phantoms', () => {
  it('two transactions that scan oncall/ by prefix, see nobody and each add themselves: one is refused', async () => {
    await expectOneRefused((txn) => [...txn.iterator({ prefix: 'oncall/' })].length)
  })

  it('the same by gte/lt', async () => {
    await expectOneRefused((txn) => [...txn.iterator({ gte: 'oncall/', lt: 'oncall0' })].length)
  })

  it('the same in reverse, and with for await', async () => {
    await expectOneRefused((txn) => [...txn.iterator({ prefix: 'oncall/', reverse: true })].length)
    await expectOneRefused((txn) => {
      let n = 0
      const it = txn.iterator({ gt: 'oncal', lte: 'oncall/~' })
      for (let e = it.nextSync(); e !== undefined; e = it.nextSync()) n++
      return n
    })
  })

  it('writes outside the scanned range do not conflict', async () => {
    const db = await open('/db', options(new MemFileSystem()))
    let runs = 0
    await db.transaction(async (txn) => {
      runs++
      expect([...txn.iterator({ prefix: 'oncall/' })]).toEqual([])
      await db.batch([
        { type: 'put', key: 'oncall', value: 'x' }, // just below the range
        { type: 'put', key: 'oncall0', value: 'x' }, // the prefix's successor: just above
        { type: 'put', key: 'other/alice', value: 'x' },
      ])
      txn.put('oncall/me', '1')
    })
    expect(runs).toBe(1)
    await db.close()
  })
})

/** Runs `read` in a transaction, then `write` outside it, then commits a put: true if refused. */
async function conflicts(keys: string[], read: (txn: Transaction) => void, write: string): Promise<boolean> {
  const db = await open('/db', options(new MemFileSystem()))
  await db.batch(keys.map((key) => ({ type: 'put' as const, key, value: 'v' })))
  const refused = await db.transaction(async (txn) => {
    read(txn)
    await db.put(write, 'w')
    txn.put('zz-result', '1')
  }).then(() => false, (err) => {
    if (!(err instanceof ConflictError)) throw err
    return true
  })
  await db.close()
  return refused
}

describe('under concurrency', () => {
  it('at most two on call: 30 concurrent workers, each adds itself only if it saw fewer than two', async () => {
    const db = await open('/db', options(new MemFileSystem()))
    const rng = makeRng(testSeed())
    let refused = 0
    await Promise.all(Array.from({ length: 30 }, async (_, w) => {
      await turn()
      try {
        await db.transaction(async (txn) => {
          const reverse = rng.chance(0.5)
          const seen = [...txn.iterator(rng.chance(0.5) ? { prefix: 'oncall/', reverse } : { gte: 'oncall/', lt: 'oncall0', reverse })].length
          for (let t = rng.int(3); t > 0; t--) await turn()
          if (seen < 2) txn.put(`oncall/${String(w).padStart(2, '0')}`, '1')
        }, { retries: 40 })
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err
        refused++
      }
    }))
    expect([...db.iterator({ prefix: 'oncall/' })].length).toBe(2)
    expect(refused).toBe(0)
    await db.close()
  })
})

describe('the ends of a covered range', () => {
  const keys = ['b', 'd', 'f', 'h']
  const take = (options: Parameters<Transaction['iterator']>[0]) => (txn: Transaction) => void [...txn.iterator(options)]

  it('forward with a limit: from the lower bound through the last key returned', async () => {
    const read = take({ gte: 'a', limit: 2 }) // returns b, d
    expect(await conflicts(keys, read, 'a')).toBe(true)
    expect(await conflicts(keys, read, 'c')).toBe(true)
    expect(await conflicts(keys, read, 'd')).toBe(true)
    expect(await conflicts(keys, read, 'd\x00')).toBe(false)
    expect(await conflicts(keys, read, 'e')).toBe(false)
    expect(await conflicts(keys, read, '0')).toBe(false)
  })

  it('reverse with a limit: from the last key returned through the upper bound', async () => {
    const read = take({ lt: 'g', reverse: true, limit: 2 }) // returns f, d
    expect(await conflicts(keys, read, 'c')).toBe(false)
    expect(await conflicts(keys, read, 'd')).toBe(true)
    expect(await conflicts(keys, read, 'e')).toBe(true)
    expect(await conflicts(keys, read, 'f\x00')).toBe(true)
    expect(await conflicts(keys, read, 'g')).toBe(false)
  })

  it('run to the end: the whole range, bounds as given', async () => {
    const read = take({ gt: 'b', lte: 'f' })
    expect(await conflicts(keys, read, 'b')).toBe(false)
    expect(await conflicts(keys, read, 'b\x00')).toBe(true)
    expect(await conflicts(keys, read, 'f')).toBe(true)
    expect(await conflicts(keys, read, 'f\x00')).toBe(false)
    expect(await conflicts(keys, take({}), 'zzz')).toBe(true)
  })

  it('an iterator that returned nothing and was closed covers nothing', async () => {
    expect(await conflicts(keys, (txn) => txn.iterator({ gte: 'a' }).close(), 'c')).toBe(false)
  })

  it('seek: the keys jumped over are not read, those after the target are', async () => {
    const read = (txn: Transaction) => {
      const it = txn.iterator({ gte: 'a' })
      expect(it.nextSync()![0].toString()).toBe('b')
      it.seek('f')
      expect(it.all().map(([k]) => k.toString())).toEqual(['f', 'h'])
    }
    expect(await conflicts(keys, read, 'a')).toBe(true)
    expect(await conflicts(keys, read, 'c')).toBe(false)
    expect(await conflicts(keys, read, 'e')).toBe(false)
    expect(await conflicts(keys, read, 'f')).toBe(true)
    expect(await conflicts(keys, read, 'x')).toBe(true)
    const back = (txn: Transaction) => {
      const it = txn.iterator({ reverse: true })
      it.seek('e')
      expect(it.nextSync()![0].toString()).toBe('d')
    }
    expect(await conflicts(keys, back, 'd')).toBe(true)
    expect(await conflicts(keys, back, 'e')).toBe(true)
    expect(await conflicts(keys, back, 'e\x00')).toBe(false)
    expect(await conflicts(keys, back, 'c')).toBe(false)
  })

  it('seek merges the transaction’s own writes too', async () => {
    const db = await open('/db', options(new MemFileSystem()))
    await db.batch(['b', 'd', 'f'].map((key) => ({ type: 'put' as const, key, value: 'v' })))
    await db.transaction((txn) => {
      txn.put('c', 'own')
      txn.put('e', 'own')
      const it = txn.iterator()
      it.seek('d')
      expect(it.all().map(([k]) => k.toString())).toEqual(['d', 'e', 'f'])
      const rev = txn.iterator({ reverse: true })
      rev.seek('c')
      expect(rev.all().map(([k]) => k.toString())).toEqual(['c', 'b'])
    })
    await db.close()
  })
})

describe('model', () => {
  it('a random scan conflicts exactly when the written key lies in the range its results depend on', async () => {
    const seed = testSeed()
    const rng = makeRng(seed)
    const alphabet = 'abcdef'
    const randomKey = () => Array.from({ length: 1 + rng.int(3) }, () => rng.pick([...alphabet])).join('')
    const db = await open('/db', options(new MemFileSystem()))
    for (let round = 0; round < 150; round++) {
      const opts: Record<string, unknown> = {}
      if (rng.chance(0.3)) opts.prefix = randomKey().slice(0, 1 + rng.int(2))
      if (rng.chance(0.5)) opts[rng.pick(['gt', 'gte'])] = randomKey()
      if (rng.chance(0.5)) opts[rng.pick(['lt', 'lte'])] = randomKey()
      if (rng.chance(0.5)) opts.reverse = true
      if (rng.chance(0.5)) opts.limit = rng.int(4)
      const inRange = (k: string) => (opts.prefix === undefined || k.startsWith(opts.prefix as string))
        && (opts.gt === undefined || k > (opts.gt as string)) && (opts.gte === undefined || k >= (opts.gte as string))
        && (opts.lt === undefined || k < (opts.lt as string)) && (opts.lte === undefined || k <= (opts.lte as string))
      const written = rng.chance(0.8) ? randomKey() : `x${randomKey()}`
      let returned: string[] = []
      const refused = await db.transaction(async (txn) => {
        returned = [...txn.iterator(opts)].map(([k]) => k.toString())
        await db.put(written, String(round))
        txn.put(`result/${round}`, '1')
      }).then(() => false, (err) => {
        if (!(err instanceof ConflictError)) throw err
        return true
      })
      const ranOut = opts.limit === undefined || returned.length < (opts.limit as number)
      const last = returned[returned.length - 1]
      // The results depend on every in-range key from where the scan started to where it stopped.
      const depends = (k: string) => inRange(k) && (ranOut || (last !== undefined && (opts.reverse ? k >= last : k <= last)))
      expect(refused, `seed ${seed} round ${round}: ${JSON.stringify(opts)} returned ${returned} wrote ${written}`).toBe(depends(written))
    }
    await db.close()
  })
})
