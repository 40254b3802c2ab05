// Input the engine cannot store is refused before it is queued, with InvalidArgumentError, and
// leaves the database as it was: an expiry past what the entry header holds, and a batch or
// transaction too large for one WAL record.

import { describe, expect, it } from 'vitest'
import { encodeHeaderedValue } from '../base/entry-value.js'
import { InvalidArgumentError } from '../base/errors.js'
import { Kind } from '../base/internal-key.js'
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
  // 16 values of the largest size, inline (valueThreshold above them), pass 2^30 bytes of payload.
  it('is refused before it is queued, and the engine goes on writing', async () => {
    expect(16 * MAX_VALUE_SIZE).toBeGreaterThanOrEqual(MAX_PAYLOAD_LENGTH)
    const { fs, options } = setup({ valueThreshold: MAX_VALUE_SIZE + 1, memtableSize: 2 ** 31 })
    const db = await open('/db', options)
    await db.put('before', '1')
    const big = new Uint8Array(MAX_VALUE_SIZE)
    const ops = Array.from({ length: 16 }, (_, i) => ({ type: 'put' as const, key: `big${i}`, value: big }))
    const walBytes = db.stats().walBytesWritten
    const err = await db.batch(ops).then(() => undefined, (e: unknown) => e)
    expect(err).toBeInstanceOf(InvalidArgumentError)
    expect((err as Error).message).toMatch(/WAL record/)
    expect(db.stats().walBytesWritten).toBe(walBytes) // nothing reached the log
    await db.put('after', '2') // not poisoned
    expect(db.getSync('big0')).toBeUndefined()
    await db.close()
    const again = await open('/db', options)
    expect([...again.iterator({ keysOnly: true })].map(([k]) => k.toString())).toEqual(['after', 'before'])
    await again.close()
    expect(fs.isCrashed()).toBe(false)
  })

  it('counts values bound for the value log as the pointers they become', () => {
    const big = new Uint8Array(MAX_VALUE_SIZE) // one array, 17 times: the check reads lengths only
    const ops = new BatchOps()
    for (let i = 0; i < 17; i++) ops.put(new TextEncoder().encode(`big${i}`), big)
    expect(() => checkFitsOneRecord(ops, 1024)).not.toThrow()
    expect(() => checkFitsOneRecord(ops, MAX_VALUE_SIZE + 1)).toThrow(InvalidArgumentError)
    // The same with an expiry header in front of each value (one headered array, 17 times).
    const stored = encodeHeaderedValue(NOW + 1000, 1, big)
    const headered = new BatchOps()
    for (let i = 0; i < 17; i++) {
      headered.kinds.push(Kind.ValueWithHeader)
      headered.keys.push(new TextEncoder().encode(`big${i}`))
      headered.values.push(stored)
      headered.bytes += 5 + stored.length
    }
    expect(() => checkFitsOneRecord(headered, MAX_VALUE_SIZE)).not.toThrow()
    expect(() => checkFitsOneRecord(headered, MAX_VALUE_SIZE + 1)).toThrow(/WAL record/)
  })
})
