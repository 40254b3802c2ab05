// Transactions: the bank test (total balance is invariant under concurrent conflicting transfers,
// at every snapshot, across reopen and across crashes), write skew rejected, read-only
// transactions never conflicting, reads of a transaction's own writes, size limits, and the
// WriteBatch that has none.

import { describe, expect, it } from 'vitest'
import { ConflictError, InvalidArgumentError, TransactionTooLargeError } from '../base/errors.js'
import { CrashError, MemFileSystem } from '../base/mem-fs.js'
import { makeRng } from '../tests/support/rng.js'
import { type DB, type Options, open } from './index.js'

const ACCOUNTS = 100
const INITIAL = 1000
const account = (i: number) => `acct:${String(i).padStart(3, '0')}`
const options = (fs: MemFileSystem, extra: Options = {}): Options => ({
  fs, memtableSize: 32 * 1024, tableTargetSize: 16 * 1024, levelBaseBytes: 64 * 1024, ...extra,
})
const turn = () => new Promise((r) => setImmediate(r))

async function seedAccounts(db: DB): Promise<void> {
  await db.batch(Array.from({ length: ACCOUNTS }, (_, i) => ({ type: 'put' as const, key: account(i), value: String(INITIAL) })), { sync: true })
}

/** The sum of all balances as one read-only transaction sees them. */
function total(db: DB): Promise<number> {
  return db.view((txn) => {
    let sum = 0
    let n = 0
    for (const [, v] of txn.iterator({ prefix: 'acct:' })) {
      sum += Number(v!.toString())
      n++
    }
    expect(n).toBe(ACCOUNTS)
    return sum
  })
}

/** One transfer between two random accounts, with event-loop turns between its reads and writes. */
async function transfer(db: DB, rng: ReturnType<typeof makeRng>, stats: { committed: number; failed: number }): Promise<void> {
  const a = rng.int(ACCOUNTS)
  let b = rng.int(ACCOUNTS - 1)
  if (b >= a) b++
  const amount = 1 + rng.int(50)
  try {
    await db.transaction(async (txn) => {
      const from = Number((await txn.get(account(a)))!.toString())
      await turn()
      const to = Number((await txn.get(account(b)))!.toString())
      if (from < amount) return
      txn.put(account(a), String(from - amount))
      await turn()
      txn.put(account(b), String(to + amount))
    }, { retries: 5, sync: rng.chance(0.3) })
    stats.committed++
  } catch (err) {
    if (!(err instanceof ConflictError) && !(err instanceof CrashError)) throw err
    stats.failed++
    if (err instanceof CrashError) throw err
  }
}

describe('bank', () => {
  it('keeps the total balance under concurrent conflicting transfers, at every sampled snapshot and after reopen', async () => {
    const fs = new MemFileSystem()
    let db = await open('/db', options(fs))
    await seedAccounts(db)
    const rng = makeRng(1)
    const stats = { committed: 0, failed: 0 }
    const samples: number[] = []
    let conflicts = 0
    for (let round = 0; round < 3; round++) {
      const workers = Array.from({ length: 20 }, async () => {
        for (let i = 0; i < 15; i++) await transfer(db, rng, stats)
      })
      const sampler = (async () => {
        for (let i = 0; i < 20; i++) {
          samples.push(await total(db))
          await turn()
        }
      })()
      await Promise.all([...workers, sampler])
      if (round === 1) await db.flush()
      conflicts += db.stats().transactions.conflicts
      await db.close()
      db = await open('/db', options(fs))
      expect(await total(db)).toBe(ACCOUNTS * INITIAL)
    }
    console.log(`bank: ${stats.committed} transfers committed, ${stats.failed} gave up after retries, ${conflicts} conflicts, ${samples.length} sampled totals`)
    expect(samples.every((s) => s === ACCOUNTS * INITIAL)).toBe(true)
    // The workload really contends: conflicts happened and were retried.
    expect(conflicts).toBeGreaterThan(10)
    expect(stats.committed).toBeGreaterThan(500)
    await db.close()
  })

  it('keeps the total after a crash at any point of the transfers', async () => {
    const run = async (fs: MemFileSystem, crashAt: number | undefined) => {
      const db = await open('/db', options(fs, { sync: true }))
      await seedAccounts(db)
      const start = fs.opCount
      if (crashAt !== undefined) fs.crashAfter(crashAt)
      const rng = makeRng(7)
      const stats = { committed: 0, failed: 0 }
      await Promise.all(Array.from({ length: 8 }, async () => {
        for (let i = 0; i < 40; i++) await transfer(db, rng, stats)
      })).catch((err) => {
        if (!(err instanceof CrashError) && !fs.isCrashed()) throw err
      })
      return { db, ops: fs.opCount - start }
    }
    const clean = await run(new MemFileSystem(), undefined)
    await clean.db.close()
    // How synced writers group (and so how many file operations the transfers take) depends on
    // timing: a run may finish before a late point. It is then crashed at its end instead, and
    // most points must still land inside the transfers. The points spread over the first 70% of
    // the clean run's operations: a loaded machine groups more writers per fsync, and points
    // spread over all of them left as few as 6 of 12 inside (seen under parallel test load).
    let midway = 0
    for (let i = 1; i <= 12; i++) {
      const point = Math.floor((clean.ops * 0.7 * i) / 13)
      const fs = new MemFileSystem()
      const { db } = await run(fs, point)
      if (fs.isCrashed()) midway++
      await db.close().catch(() => undefined)
      const after = await open('/db', options(fs.crash({ seed: point })))
      expect(await total(after), `crash point ${point}`).toBe(ACCOUNTS * INITIAL)
      await after.close()
    }
    expect(midway, `crash points inside the transfers (of 12)`).toBeGreaterThanOrEqual(8)
  })
})

describe('isolation', () => {
  it('rejects write skew: two transactions that read both keys and each write one', async () => {
    const db = await open('/db', options(new MemFileSystem()))
    await db.batch([{ type: 'put', key: 'x', value: '1' }, { type: 'put', key: 'y', value: '1' }])
    // Invariant: x + y >= 1. Each doctor goes off call only if the other is on call.
    const offCall = (me: string) => db.transaction(async (txn) => {
      const sum = Number((await txn.get('x'))!.toString()) + Number((await txn.get('y'))!.toString())
      await turn()
      if (sum >= 2) txn.put(me, '0')
    })
    const results = await Promise.allSettled([offCall('x'), offCall('y')])
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected'])
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult
    expect(rejected.reason).toBeInstanceOf(ConflictError)
    const sum = Number((await db.get('x'))!.toString()) + Number((await db.get('y'))!.toString())
    expect(sum).toBe(1)
    await db.close()
  })

  it('a conflict is also found against plain writes, and retries run the function again', async () => {
    const db = await open('/db', options(new MemFileSystem()))
    await db.put('counter', '0')
    let runs = 0
    await db.transaction(async (txn) => {
      runs++
      const n = Number((await txn.get('counter'))!.toString())
      if (runs === 1) await db.put('counter', '100') // someone else writes what we read
      txn.put('counter', String(n + 1))
    }, { retries: 2 })
    expect(runs).toBe(2)
    expect((await db.get('counter'))!.toString()).toBe('101')
    await db.close()
  })

  it('read-only transactions never conflict and see one snapshot throughout', async () => {
    const db = await open('/db', options(new MemFileSystem()))
    await db.put('k', 'before')
    const seen = await db.view(async (txn) => {
      const first = (await txn.get('k'))!.toString()
      await db.put('k', 'after')
      await db.put('new', 'x')
      await turn()
      return [first, (await txn.get('k'))!.toString(), await txn.get('new'), [...txn.iterator()].length]
    })
    expect(seen).toEqual(['before', 'before', undefined, 1])
    await expect(db.view((txn) => txn.put('a', 'b'))).rejects.toThrow(InvalidArgumentError)
    await db.close()
  })

  it('with detectConflicts off, the last writer wins', async () => {
    const db = await open('/db', options(new MemFileSystem(), { detectConflicts: false }))
    await db.batch([{ type: 'put', key: 'x', value: '1' }, { type: 'put', key: 'y', value: '1' }])
    const offCall = (me: string) => db.transaction(async (txn) => {
      const sum = Number((await txn.get('x'))!.toString()) + Number((await txn.get('y'))!.toString())
      await turn()
      if (sum >= 2) txn.put(me, '0')
    })
    await Promise.all([offCall('x'), offCall('y')])
    expect([(await db.get('x'))!.toString(), (await db.get('y'))!.toString()]).toEqual(['0', '0'])
    await db.close()
  })
})

describe('a transaction’s own writes', () => {
  it('are seen by get and by iterators in both directions, deletions included, and nowhere else until commit', async () => {
    const db = await open('/db', options(new MemFileSystem()))
    await db.batch(['a', 'c', 'e', 'g'].map((k) => ({ type: 'put' as const, key: k, value: `db-${k}` })))
    await db.transaction(async (txn) => {
      txn.put('b', 'txn-b')
      txn.put('c', 'txn-c')
      txn.del('e')
      txn.put('h', 'txn-h', { meta: 3 })
      expect((await txn.get('c'))!.toString()).toBe('txn-c')
      expect(await txn.get('e')).toBeUndefined()
      expect(await db.get('b')).toBeUndefined()
      const fwd = [...txn.iterator()].map(([k, v]) => `${k}=${v}`)
      expect(fwd).toEqual(['a=db-a', 'b=txn-b', 'c=txn-c', 'g=db-g', 'h=txn-h'])
      const rev = [...txn.iterator({ reverse: true, gt: 'a', lte: 'g', keysOnly: true })].map(([k, v]) => `${k}=${v}`)
      expect(rev).toEqual(['g=undefined', 'c=undefined', 'b=undefined'])
      const limited = []
      for await (const [k] of txn.iterator({ prefix: '', limit: 2 })) limited.push(k.toString())
      expect(limited).toEqual(['a', 'b'])
    })
    expect([...db.iterator()].map(([k, v]) => `${k}=${v}`)).toEqual(['a=db-a', 'b=txn-b', 'c=txn-c', 'g=db-g', 'h=txn-h'])
    expect(db.getEntry('h')!.meta).toBe(3)
    await db.close()
  })

  it('a throwing function writes nothing; a finished transaction refuses use', async () => {
    const db = await open('/db', options(new MemFileSystem()))
    let kept: { put(k: string, v: string): void } | undefined
    await expect(db.transaction((txn) => {
      kept = txn
      txn.put('k', 'v')
      throw new Error('boom')
    })).rejects.toThrow('boom')
    expect(await db.get('k')).toBeUndefined()
    expect(() => kept!.put('k', 'v')).toThrow(/transaction already/)
    await db.close()
  })
})

describe('sizes', () => {
  it('a transaction larger than a memtable fails clearly; a WriteBatch splits itself', async () => {
    const db = await open('/db', options(new MemFileSystem()))
    const big = Buffer.alloc(1000, 1)
    await expect(db.transaction((txn) => {
      for (let i = 0; i < 40; i++) txn.put(`k${i}`, big)
    })).rejects.toThrow(TransactionTooLargeError)
    expect(await db.get('k0')).toBeUndefined()
    const wb = db.writeBatch()
    for (let i = 0; i < 5000; i++) await wb.put(`bulk${String(i).padStart(5, '0')}`, big)
    await wb.del('bulk00000')
    await wb.flush()
    expect([...db.iterator({ prefix: 'bulk', keysOnly: true })].length).toBe(4999)
    await expect(wb.put('x', 'y')).rejects.toThrow(InvalidArgumentError)
    await db.close()
  })
})
