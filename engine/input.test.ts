// Input the engine cannot store is refused before it is queued, with InvalidArgumentError, and
// leaves the database as it was: an expiry past what the entry header holds, and a batch or
// transaction too large for one WAL record.

import { describe, expect, it } from 'vitest'
import { InvalidArgumentError } from '../base/errors.js'
import { MemFileSystem } from '../base/mem-fs.js'
import { MAX_PAYLOAD_LENGTH } from '../wal/index.js'
import { checkFitsOneRecord } from './input.js'
import { MAX_VALUE_SIZE } from './options.js'
import { BatchOps } from './write-batch.js'
import { open } from './index.js'

const NOW = 1_700_000_000_000

function setup(extra: object = {}) {
  const fs = new MemFileSystem()
  return { fs, options: { fs, compactionWorker: false, clock: () => NOW, ...extra } }
}

describe('expiry that cannot be stored', () => {
  it('refuses ttl and expiresAt that are not positive safe integers, or end past MAX_SAFE_INTEGER', async () => {
    const { options } = setup()
    const db = await open('/db', options)
    const bad: [string, object][] = [
      ['ttl 2^60 (expiresAt would need 9 varint bytes)', { ttl: 2 ** 60 }],
      ['ttl 1e300', { ttl: 1e300 }],
      ['ttl past MAX_SAFE_INTEGER - now', { ttl: Number.MAX_SAFE_INTEGER - NOW + 1 }],
      ['ttl NaN', { ttl: Number.NaN }],
      ['ttl Infinity', { ttl: Infinity }],
      ['ttl negative', { ttl: -5 }],
      ['ttl zero', { ttl: 0 }],
      ['ttl non-integer', { ttl: 1.5 }],
      ['ttl a string', { ttl: '100' }],
      ['expiresAt NaN', { expiresAt: Number.NaN }],
      ['expiresAt negative', { expiresAt: -1 }],
      ['expiresAt non-integer', { expiresAt: NOW + 0.5 }],
      ['expiresAt past MAX_SAFE_INTEGER', { expiresAt: Number.MAX_SAFE_INTEGER + 1 }],
      ['expiresAt 2^60', { expiresAt: 2 ** 60 }],
    ]
    for (const [what, o] of bad) {
      await expect(db.put('k', 'v', o), what).rejects.toThrow(InvalidArgumentError)
      await expect(db.batch([{ type: 'put', key: 'k', value: 'v', ...o }]), `batch: ${what}`).rejects.toThrow(InvalidArgumentError)
      await expect(db.transaction((txn) => txn.put('k', 'v', o)), `transaction: ${what}`).rejects.toThrow(InvalidArgumentError)
    }
    expect(db.getSync('k')).toBeUndefined()
    expect(db.stats().lastSeq).toBe(0)
    await db.close()
  })

  it('the largest storable expiry round-trips through the WAL and a table, and the database reopens', async () => {
    const { options } = setup()
    let db = await open('/db', options)
    await db.put('max-at', 'a', { expiresAt: Number.MAX_SAFE_INTEGER, meta: 9 })
    await db.put('max-ttl', 'b', { ttl: Number.MAX_SAFE_INTEGER - NOW })
    for (let round = 0; round < 3; round++) {
      expect(db.getEntry('max-at')).toMatchObject({ expiresAt: Number.MAX_SAFE_INTEGER, meta: 9 })
      expect(db.getEntry('max-ttl')?.value.toString()).toBe('b')
      expect(db.getEntry('max-ttl')?.expiresAt).toBe(Number.MAX_SAFE_INTEGER)
      await db.close()
      db = await open('/db', options)
      if (round === 1) await db.flush()
    }
    await db.close()
  })
})

describe('a batch that cannot be one WAL record', () => {
  it('counts values bound for the value log as the pointers they become', () => {
    const big = new Uint8Array(MAX_VALUE_SIZE) // one array, 17 times: the check reads lengths only
    const ops = new BatchOps()
    for (let i = 0; i < 17; i++) ops.put(new TextEncoder().encode(`big${i}`), big)
    expect(() => checkFitsOneRecord(ops, 1024)).not.toThrow()
    expect(() => checkFitsOneRecord(ops, MAX_VALUE_SIZE + 1)).toThrow(InvalidArgumentError)
    const headered = new BatchOps()
    for (let i = 0; i < 17; i++) headered.putWithHeader(new TextEncoder().encode(`big${i}`), big, NOW + 1000, 1)
    expect(() => checkFitsOneRecord(headered, MAX_VALUE_SIZE)).not.toThrow()
    expect(() => checkFitsOneRecord(headered, MAX_VALUE_SIZE + 1)).toThrow(/WAL record/)
  })
})
