// internalOrder() against a plain comparison sort, on keys that stress the radix sort's edges:
// short and empty-padded keys, keys longer than its 18 bytes that tie on them, shared leading
// bytes, and several versions of one key.

import { describe, expect, it } from 'vitest'
import { compareBytes } from '../base/internal-key.js'
import { mulberry32 } from '../base/random.js'
import { Memtable } from './memtable.js'
import { internalOrder } from './internal-order.js'

function randomKeys(seed: number, count: number): { keys: Uint8Array[]; seqs: number[] } {
  const rng = mulberry32(seed)
  const pool: Uint8Array[] = []
  const keys: Uint8Array[] = []
  const seqs: number[] = []
  for (let i = 0; i < count; i++) {
    let k: Uint8Array
    if (pool.length > 0 && rng() < 0.2) {
      k = pool[Math.floor(rng() * pool.length)] // another version of a key
    } else {
      const len = Math.floor(rng() * 26)
      k = new Uint8Array(len)
      const shared = rng() < 0.5 ? Math.min(len, 18) : 0 // a common 18-byte prefix, or none
      for (let j = 0; j < len; j++) k[j] = j < shared ? 0x30 : rng() < 0.3 ? 0 : Math.floor(rng() * 256)
      pool.push(k)
    }
    keys.push(k)
    seqs.push(i + 1)
  }
  return { keys, seqs }
}

describe('internalOrder', () => {
  it('orders entries as a comparison sort by (key ascending, seq descending) does', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const { keys, seqs } = randomKeys(seed, 1 + seed * 37)
      const expected = keys.map((_, i) => i).sort((a, b) => compareBytes(keys[a], keys[b]) || seqs[b] - seqs[a])
      expect(Array.from(internalOrder(keys, seqs, keys.length))).toEqual(expected)
    }
  })

  it('lets addMany build the same memtable as add() in arrival order', () => {
    const { keys, seqs } = randomKeys(99, 3000)
    const kinds = seqs.map((s) => s % 2)
    const values = seqs.map((s) => new TextEncoder().encode(`v${s}`))
    const one = new Memtable({ rng: mulberry32(1) })
    for (let i = 0; i < keys.length; i++) one.add(keys[i], seqs[i], kinds[i], values[i])
    const many = new Memtable({ rng: mulberry32(1) })
    many.addMany(keys, seqs, kinds, values, keys.length)
    many.checkInvariants()
    const dump = (m: Memtable): string[] => {
      const out: string[] = []
      const it = m.iterator()
      for (it.first(); it.valid(); it.next()) out.push(`${Buffer.from(it.userKey()).toString("hex")}:${it.seq()}:${it.kind()}:${Buffer.from(it.value()).toString()}`)
      return out
    }
    expect(dump(many)).toEqual(dump(one))
    expect(many.count).toBe(keys.length)
    expect(many.byteSize).toBeGreaterThan(0)
  })
})
