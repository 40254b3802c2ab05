// Unknown option names are refused with the nearest known one, for open, writes and iterators.

import { describe, expect, it } from 'vitest'
import { InvalidArgumentError, MemFileSystem, open } from '../engine/index.js'
import { closestName } from './option-names.js'

describe('option names', () => {
  it('suggests the nearest name for typos and nothing for strangers', () => {
    const known = ['memtableSize', 'valueThreshold', 'ttl', 'expiresAt', 'sync']
    expect(closestName('memTableSize', known)).toBe('memtableSize')
    expect(closestName('ttl_ms', known)).toBe('ttl')
    expect(closestName('valueTreshold', known)).toBe('valueThreshold')
    expect(closestName('banana', known)).toBeUndefined()
  })

  it('open, put, batch and iterator refuse unknown names', async () => {
    const fs = new MemFileSystem()
    await expect(open('/a', { fs, memTableSize: 1 } as never)).rejects.toThrow(/unknown option options\.memTableSize \(did you mean memtableSize\?\)/)
    await expect(open('/a', { fs, memTableSize: 1 } as never)).rejects.toBeInstanceOf(InvalidArgumentError)
    const db = await open('/a', { fs })
    await expect(db.put('k', 'v', { ttl_ms: 5 } as never)).rejects.toThrow(/did you mean ttl\?/)
    await expect(db.batch([{ type: 'put', key: 'k', value: 'v', expiresat: 5 } as never])).rejects.toThrow(/did you mean expiresAt\?/)
    expect(() => db.iterator({ revers: true } as never)).toThrow(/did you mean reverse\?/)
    // Known names still work, and undefined values of any name are ignored (spread defaults).
    await db.put('k', 'v', { sync: false, ttl: undefined })
    expect(db.iterator({ reverse: true, limit: 1 }).nextSync()?.[0].toString()).toBe('k')
    await db.close()
  })
})
