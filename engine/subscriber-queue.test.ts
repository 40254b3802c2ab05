// Back-pressure in the change feed: a slow subscriber's queue stays within its byte bound, either
// slowing the writers ('block': every change still arrives, in order) or ending with
// SubscriberOverflowError ('end': exactly the changes up to its lastVersion arrived). The default
// bound applies to db.subscribe() as it is.

import { describe, expect, it } from 'vitest'
import { SubscriberOverflowError } from '../base/errors.js'
import { Kind } from '../base/internal-key.js'
import { MemFileSystem } from '../base/mem-fs.js'
import { makeRng, testSeed } from '../tests/support/rng.js'
import { type Change, open } from './index.js'
import { CHANGE_OVERHEAD, DEFAULT_MAX_QUEUE_BYTES, type CapturedBatch, Subscriptions } from './subscriptions.js'

const slow = () => new Promise((r) => setTimeout(r, 1))

/** A random committed group: 1-3 batches of 1-20 puts with values up to 4 KiB. */
function randomGroup(rng: ReturnType<typeof makeRng>, serial: { n: number }): { batches: CapturedBatch[]; bytes: number; count: number } {
  const batches: CapturedBatch[] = []
  let bytes = 0
  let count = 0
  for (let b = 1 + rng.int(3); b > 0; b--) {
    const batch: CapturedBatch = { kinds: [], keys: [], values: [] }
    for (let i = 1 + rng.int(20); i > 0; i--) {
      const key = Buffer.from(`k${String(serial.n++).padStart(8, '0')}`)
      const value = Buffer.alloc(rng.int(4096), serial.n & 0xff)
      batch.kinds.push(Kind.Value)
      batch.keys.push(key)
      batch.values.push(value)
      bytes += key.length + value.length
      count++
    }
    batches.push(batch)
  }
  return { batches, bytes, count }
}

describe('a slow subscriber', () => {
  it("with onFull 'block', slows the writers and keeps its queue within maxQueueBytes; every change arrives in order", async () => {
    const seed = testSeed()
    const rng = makeRng(seed)
    const subs = new Subscriptions()
    const maxQueueBytes = 256 * 1024
    const got: Change[] = []
    const feed = subs.subscribe([], async (changes) => {
      got.push(...changes)
      await slow()
    }, undefined, { maxQueueBytes, onFull: 'block' })
    let seq = 1
    let waited = 0
    const serial = { n: 0 }
    for (let g = 0; g < 300; g++) {
      const { batches, bytes, count } = randomGroup(rng, serial)
      const wait = subs.roomFor(bytes, count)
      if (wait !== undefined) (waited++, await wait)
      subs.publish(batches, seq)
      seq += count
      const [stats] = subs.stats()
      expect(stats.queuedBytes, `seed ${seed}`).toBeLessThanOrEqual(maxQueueBytes)
    }
    while (subs.stats()[0].queuedBytes > 0) await slow()
    const peak = subs.stats()[0].peakQueuedBytes
    console.log(`block: peak queued ${peak} bytes of a ${maxQueueBytes}-byte bound; writers waited ${waited} times for ${seq - 1} changes`)
    expect(peak).toBeLessThanOrEqual(maxQueueBytes)
    expect(waited).toBeGreaterThan(0)
    expect(got.map((c) => c.version)).toEqual(Array.from({ length: seq - 1 }, (_, i) => i + 1))
    expect(got.map((c) => c.key.toString())).toEqual(Array.from({ length: seq - 1 }, (_, i) => `k${String(i).padStart(8, '0')}`))
    subs.closeAll()
    await feed
  })

  it("with onFull 'end', ends with SubscriberOverflowError: exactly the changes up to lastVersion arrived", async () => {
    const rng = makeRng(testSeed())
    const subs = new Subscriptions()
    const maxQueueBytes = 128 * 1024
    const got: number[] = []
    const feed = subs.subscribe([], async (changes) => {
      got.push(...changes.map((c) => c.version))
      await slow()
    }, undefined, { maxQueueBytes, onFull: 'end' })
    const ended = feed.then(() => undefined, (err: unknown) => err)
    let seq = 1
    const serial = { n: 0 }
    let peak = 0
    for (let g = 0; g < 200 && subs.active; g++) {
      const { batches, count } = randomGroup(rng, serial)
      expect(subs.roomFor(1e9, 1)).toBeUndefined() // 'end' never slows writers
      subs.publish(batches, seq)
      seq += count
      for (const s of subs.stats()) peak = Math.max(peak, s.peakQueuedBytes)
      if (g % 4 === 0) await new Promise((r) => setImmediate(r))
    }
    const err = await ended
    expect(err).toBeInstanceOf(SubscriberOverflowError)
    expect((err as SubscriberOverflowError).code).toBe('SETT_SUBSCRIBER_OVERFLOW')
    const last = (err as SubscriberOverflowError).lastVersion
    expect(got).toEqual(Array.from({ length: last }, (_, i) => i + 1))
    expect(peak).toBeLessThanOrEqual(maxQueueBytes)
    expect(peak).toBeGreaterThan(0)
  })

  it('counts deletions by key only, and a lone group larger than the bound is still delivered', async () => {
    const subs = new Subscriptions()
    const got: Change[] = []
    const feed = subs.subscribe([], (changes) => void got.push(...changes), undefined, { maxQueueBytes: 1000 })
    subs.publish([{ kinds: [Kind.Value], keys: [Buffer.from('big')], values: [Buffer.alloc(5000)] }], 1)
    expect(subs.stats()[0].queuedBytes).toBe(3 + 5000 + CHANGE_OVERHEAD)
    await new Promise((r) => setImmediate(r))
    subs.publish([{ kinds: [Kind.Delete], keys: [Buffer.from('big')], values: [new Uint8Array(0)] }], 2)
    expect(subs.stats()[0].queuedBytes).toBe(3 + CHANGE_OVERHEAD)
    await new Promise((r) => setImmediate(r))
    expect(got.map((c) => [c.version, c.deleted, c.value?.length])).toEqual([[1, false, 5000], [2, true, undefined]])
    expect(() => subs.subscribe([], () => undefined, undefined, { maxQueueBytes: 0 })).toThrow(/maxQueueBytes/)
    expect(() => subs.subscribe([], () => undefined, undefined, { onFull: 'drop' as 'end' })).toThrow(/onFull/)
    subs.closeAll()
    await feed
  })

  it('db.subscribe: by default a subscriber that stops consuming is ended once it falls 16 MiB behind; writers never wait', async () => {
    const db = await open('/db', { fs: new MemFileSystem(), memtableSize: 4 * 1024 * 1024 })
    let release: () => void = () => undefined
    const stuck = new Promise<void>((r) => (release = r))
    let delivered = 0
    const feed = db.subscribe({}, async (changes) => {
      delivered += changes.length
      await stuck
    }).then(() => undefined, (err: unknown) => err)
    const value = Buffer.alloc(64 * 1024, 7)
    const writes = Math.ceil((DEFAULT_MAX_QUEUE_BYTES * 1.5) / value.length)
    for (let i = 0; i < writes; i++) await db.put(`k${i}`, value)
    const err = await feed
    expect(err).toBeInstanceOf(SubscriberOverflowError)
    expect((err as SubscriberOverflowError).lastVersion).toBe(1) // the first change was handed over, its callback never returned
    expect(delivered).toBe(1)
    release()
    await db.close()
  })
})

describe('db.subscribe limits', () => {
  it("onFull 'block' slows db writers: the queue stays within maxQueueBytes (db.stats) and every change arrives", async () => {
    const db = await open('/db', { fs: new MemFileSystem(), memtableSize: 1024 * 1024 })
    const maxQueueBytes = 64 * 1024
    const got: number[] = []
    let peak = 0
    const controller = new AbortController()
    const feed = db.subscribe({ maxQueueBytes, onFull: 'block', signal: controller.signal }, async (changes) => {
      got.push(...changes.map((c) => c.version))
      await slow()
    })
    const value = Buffer.alloc(4000, 1)
    await Promise.all(Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; i < 50; i++) {
        await db.put(`w${w}:${i}`, value)
        peak = Math.max(peak, ...db.stats().subscribers.map((s) => s.queuedBytes))
      }
    }))
    expect(peak).toBeGreaterThan(0)
    expect(peak).toBeLessThanOrEqual(maxQueueBytes)
    expect(db.stats().subscribers[0].peakQueuedBytes).toBeLessThanOrEqual(maxQueueBytes)
    while (got.length < 200) await slow()
    expect(got).toEqual(got.slice().sort((a, b) => a - b))
    expect(new Set(got).size).toBe(200)
    controller.abort()
    await feed
    await db.close()
  })

  it("onFull 'end' with a small maxQueueBytes ends the subscription; close never hangs on a blocked writer", async () => {
    const db = await open('/db', { fs: new MemFileSystem() })
    const ended = db.subscribe({ maxQueueBytes: 8 * 1024 }, () => new Promise(() => undefined)).then(() => undefined, (e: unknown) => e)
    for (let i = 0; i < 10; i++) await db.put(`k${i}`, Buffer.alloc(2000))
    expect(await ended).toBeInstanceOf(SubscriberOverflowError)
    // A callback that never returns: its subscription ends only when it does, but writers and close go on.
    void db.subscribe({ maxQueueBytes: 8 * 1024, onFull: 'block' }, () => new Promise(() => undefined))
    let written = 0
    const writes = Promise.all(Array.from({ length: 10 }, (_, i) => db.put(`b${i}`, Buffer.alloc(2000)).then(() => written++)))
    await slow()
    expect(written).toBeLessThan(10) // blocked behind the full queue
    await db.close()
    await writes
    expect(written).toBe(10)
  })
})
