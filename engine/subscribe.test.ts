// The change feed: every committed change, in commit order, under concurrent writers; prefixes
// filter; nothing from a failed transaction; an AbortSignal ends it.

import { describe, expect, it } from 'vitest'
import { ConflictError } from '../base/errors.js'
import { MemFileSystem } from '../base/mem-fs.js'
import { makeRng } from '../tests/support/rng.js'
import { type Change, open } from './index.js'

describe('subscribe', () => {
  it('delivers exactly the committed changes in commit order under concurrent writers', async () => {
    const db = await open('/db', { fs: new MemFileSystem(), memtableSize: 16 * 1024, valueThreshold: 256 })
    const all: Change[] = []
    const users: Change[] = []
    const controller = new AbortController()
    const feedAll = db.subscribe({ signal: controller.signal }, async (changes) => {
      all.push(...changes)
      // A slow subscriber must not lose or reorder anything.
      await new Promise((r) => setImmediate(r))
    })
    const feedUsers = db.subscribe({ prefixes: ['user:'], signal: controller.signal }, (changes) => void users.push(...changes))
    const rng = makeRng(4)
    const written: string[] = []
    await Promise.all(Array.from({ length: 6 }, async (_, w) => {
      for (let i = 0; i < 50; i++) {
        const key = `${rng.chance(0.5) ? 'user:' : 'item:'}${w}:${i % 7}`
        if (rng.chance(0.2)) {
          await db.del(key)
          written.push(`${key}=-`)
        } else {
          const value = rng.chance(0.1) ? 'L'.repeat(300) : `v${w}-${i}`
          await db.put(key, value, { meta: w })
          written.push(`${key}=${value}`)
        }
      }
    }))
    // A failed transaction publishes nothing.
    await db.put('user:t', '0')
    written.push('user:t=0')
    await expect(db.transaction(async (txn) => {
      await txn.get('user:t')
      await db.put('user:t', '1')
      written.push('user:t=1')
      txn.put('user:t', 'never')
    })).rejects.toThrow(ConflictError)
    await db.flush()
    controller.abort()
    await Promise.all([feedAll, feedUsers])
    const show = (c: Change) => `${c.key}=${c.deleted ? '-' : c.value!.toString()}`
    // Versions strictly increase: commit order.
    for (let i = 1; i < all.length; i++) expect(all[i].version).toBeGreaterThan(all[i - 1].version)
    expect(all.map(show).sort()).toEqual(written.slice().sort())
    expect(all.some((c) => c.value?.toString() === 'never')).toBe(false)
    expect(users.map(show)).toEqual(all.filter((c) => c.key.toString().startsWith('user:')).map(show))
    // What the feed said last about each key is what the database holds.
    const last = new Map<string, Change>()
    for (const c of all) last.set(c.key.toString(), c)
    for (const [k, c] of last) expect((await db.get(k))?.toString()).toBe(c.deleted ? undefined : c.value!.toString())
    // After abort, nothing more arrives.
    const before = all.length
    await db.put('user:after', 'x')
    await new Promise((r) => setImmediate(r))
    expect(all.length).toBe(before)
    await db.close()
  })

  it('a throwing callback ends its subscription with the error; close ends the rest', async () => {
    const db = await open('/db', { fs: new MemFileSystem() })
    const failing = db.subscribe({}, () => {
      throw new Error('subscriber broke')
    })
    const quiet = db.subscribe({ prefixes: ['nothing'] }, () => undefined)
    await db.put('k', 'v')
    await expect(failing).rejects.toThrow('subscriber broke')
    await db.close()
    await expect(quiet).resolves.toBeUndefined()
  })
})
