// The writer queue's grouping: a crowd of writers, each awaiting its write before the next, shares
// one commit per round (not one for the writer that came back first and one for the rest); a lone
// writer's commit starts at once, with no event-loop turn in front of it.

import { describe, expect, it } from 'vitest'
import { BatchOps } from './write-batch.js'
import { type PendingWrite, WriteQueue } from './write-queue.js'

const ops = () => new BatchOps()
/** A commit that takes a little while, as an fsync does. */
const slowCommit = (sizes: number[]) => async (group: PendingWrite[]) => {
  sizes.push(group.length)
  await new Promise((r) => setTimeout(r, 1))
}

describe('WriteQueue', () => {
  it('commits a crowd of 64 writers together, round after round', async () => {
    const sizes: number[] = []
    const q = new WriteQueue(slowCommit(sizes))
    const rounds = 6
    await Promise.all(Array.from({ length: 64 }, async () => {
      for (let i = 0; i < rounds; i++) await q.write(ops(), true)
    }))
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(64 * rounds)
    // The first writer starts a group alone (the others have not queued yet); after that every
    // round is one group of all 64, never a group of one and one of 63.
    expect(sizes[0]).toBe(1)
    expect(sizes.slice(2)).toEqual(Array(sizes.length - 2).fill(64))
    expect(sizes.length).toBeLessThanOrEqual(rounds + 2)
  })

  it('starts a lone writer’s commit in the same turn as its write', async () => {
    const started: number[] = []
    const q = new WriteQueue(async (group) => {
      started.push(group.length)
    })
    for (let i = 0; i < 5; i++) {
      const p = q.write(ops(), true)
      expect(started.length).toBe(i + 1) // no turn of the event loop before the commit
      await p
    }
  })

  it('a commit that returns without waiting settles the write, and idle() and later writes still work', async () => {
    const order: string[] = []
    let wait = false
    const q = new WriteQueue((group) => {
      order.push(`commit ${group.length}`)
      return wait ? new Promise<void>((r) => setTimeout(r, 1)) : undefined
    })
    for (let i = 0; i < 3; i++) await q.write(ops(), false)
    await q.idle() // a drain that ended synchronously leaves nothing to wait for
    wait = true
    const slow = q.write(ops(), true)
    let idle = false
    const idled = q.idle().then(() => (idle = true))
    await new Promise((r) => setImmediate(r))
    expect(idle).toBe(false) // idle() waits for a commit that has to wait
    await slow
    await idled
    wait = false
    const ran = await q.runExclusive(async () => 'alone')
    expect(ran).toBe('alone')
    await q.write(ops(), false)
    expect(order).toEqual(['commit 1', 'commit 1', 'commit 1', 'commit 1', 'commit 1'])
  })

  it('a lone write that has to wait: writes queued behind it commit as one group after it, in order; idle() waits for both', async () => {
    const groups: number[][] = []
    const q = new WriteQueue(async (group) => {
      groups.push(group.map((w) => w.ops.bytes))
      await new Promise((r) => setTimeout(r, 2))
    })
    const batch = (n: number) => {
      const b = new BatchOps()
      b.put(new Uint8Array(n), new Uint8Array(0))
      return b
    }
    const done: number[] = []
    const first = q.write(batch(1), true).then(() => done.push(1))
    const second = q.write(batch(2), true).then(() => done.push(2))
    const third = q.write(batch(3), true).then(() => done.push(3))
    let idle = false
    const idled = q.idle().then(() => (idle = true))
    await first
    expect(idle).toBe(false)
    await Promise.all([second, third, idled])
    expect(groups).toEqual([[1], [2, 3]])
    expect(done).toEqual([1, 2, 3])
  })

  it('a lone write whose commit fails rejects with its error; the queue goes on with the next write', async () => {
    let fail = true
    const seen: number[] = []
    const q = new WriteQueue((group) => {
      seen.push(group.length)
      if (fail) {
        fail = false
        return Promise.reject(new Error('fsync failed'))
      }
      return undefined
    })
    const failing = q.write(ops(), true)
    const next = q.write(ops(), true)
    await expect(failing).rejects.toThrow('fsync failed')
    await expect(next).resolves.toBeUndefined()
    await q.idle()
    // A commit that throws synchronously fails only its own write too.
    const q2 = new WriteQueue(() => {
      throw new Error('refused')
    })
    await expect(q2.write(ops(), true)).rejects.toThrow('refused')
    await q2.idle()
    expect(seen).toEqual([1, 1])
  })
})
