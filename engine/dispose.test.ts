// Explicit resource management: `await using` / `using` close iterators and discard transactions
// when their scope ends, early exits and throws included.

import { describe, expect, it } from 'vitest'
import { MemFileSystem } from '../base/mem-fs.js'
import { open } from './index.js'

describe('Symbol.asyncDispose', () => {
  it('closes a database iterator when its scope ends, by await using and by using', async () => {
    const db = await open('/db', { fs: new MemFileSystem() })
    await db.batch(['a', 'b', 'c'].map((key) => ({ type: 'put' as const, key, value: key })))
    let kept: { closed: boolean } | undefined
    {
      await using it = db.iterator()
      kept = it
      expect(it.nextSync()![0].toString()).toBe('a')
      expect(kept.closed).toBe(false)
    }
    expect(kept.closed).toBe(true)
    const find = (target: string) => {
      using it = db.iterator({ keysOnly: true })
      kept = it
      for (const [k] of it) if (k.toString() === target) return k.toString()
      return undefined
    }
    expect(find('b')).toBe('b')
    expect(kept.closed).toBe(true)
    await db.close()
  })

  it('discards a transaction left open at the end of its scope, and closes its iterators', async () => {
    const db = await open('/db', { fs: new MemFileSystem() })
    await db.put('a', '1')
    let txnRef: { isOpen: boolean } | undefined
    await expect(db.transaction(async (txn) => {
      await using scoped = txn
      txnRef = scoped
      scoped.put('b', '2')
      {
        await using it = txn.iterator()
        expect(it.nextSync()![0].toString()).toBe('a')
      }
      throw new Error('left early')
    })).rejects.toThrow('left early')
    expect(txnRef!.isOpen).toBe(false)
    expect(await db.get('b')).toBeUndefined()
    await db.close()
  })
})
