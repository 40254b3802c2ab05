// The change feed behind db.subscribe() (BadgerDB's Subscribe): every committed write, in commit
// order, to each subscriber whose prefixes match. A group is published once it is in the WAL (and
// synced, when it asked to be) and in the memtable, so a subscriber never hears of a write that
// then fails. Each subscriber gets its changes one call at a time, in order.
//
// Memory: a published group is queued by reference (the committed keys and values are never
// changed, so every subscriber shares the one captured copy); a subscriber's Change objects and
// their Buffers are made only when its callback is about to get them. Each subscriber's queue is
// bounded by maxQueueBytes, counted as the key and value bytes of its queued changes plus a fixed
// overhead per change, until its callback has returned for them. When a group would overflow it,
// the subscriber's onFull decides: 'end' ends the subscription with SubscriberOverflowError
// (what it was already given stays given); 'block' queues the group and makes the writers wait
// (roomFor) until the subscriber has drained below its bound again. A subscriber's queue thus
// never holds more than its bound, or one group alone when a single group is larger than it.
//
// A dropPrefix()/dropAll() is a change of its own (droppedPrefix: true), queued in its place in
// commit order when it is queued, and handed over only once the manifest has recorded it: the
// writes queued behind it wait their turn, so a subscriber never hears of a drop that a crash
// then undoes ahead of writes that survive it.
//
// A subscription may start with a catch-up (engine/change-feed.ts, subscribe({ since })): its
// live changes are queued from the moment it is registered but handed over only after the
// catch-up has delivered everything up to the registration point.
//
// Never reads or writes the database: it only hears of groups once they are committed.

import { hasPrefix } from '../base/dropped-prefixes.js'
import { entryExpiresAt, entryMeta, entryPayload } from '../base/entry-value.js'
import { InvalidArgumentError, SubscriberOverflowError } from '../base/errors.js'
import { Kind } from '../base/internal-key.js'
import type { BatchOps } from './write-batch.js'

/** One committed change to a key. */
export interface Change {
  key: Buffer
  /** undefined for a deletion. */
  value: Buffer | undefined
  /** The write's sequence number (its version). */
  version: number
  deleted: boolean
  /** Expiry in ms since the epoch, 0 for never (an expiry passing is no change of its own). */
  expiresAt: number
  meta: number
  /**
   * A dropPrefix()/dropAll(): `key` is the prefix (empty: everything), and every key starting
   * with it whose version is below this change's is gone. `deleted` is true, `value` undefined.
   */
  droppedPrefix?: true
  /**
   * From a catch-up over history that compaction has merged (subscribe({ since })): the key's
   * newest state as of the catch-up, not each change it went through; a deletion is one too.
   */
  merged?: true
  /**
   * The `since` to resume from once this change and every change before it are applied: the
   * version itself, except inside a merged catch-up, where it stays at the catch-up's `since`
   * until its last change, which carries the version the catch-up reached.
   */
  resumeFrom: number
}

export type ChangeCallback = (changes: Change[]) => void | Promise<void>

/** A batch's columns as the caller wrote them, captured before large values become pointers. */
export interface CapturedBatch {
  kinds: number[]
  keys: Uint8Array[]
  values: Uint8Array[]
}

export interface SubscribeLimits {
  /** Most bytes a subscriber's undelivered changes may hold. Default 16 MiB. */
  maxQueueBytes?: number
  /** When a group would overflow the queue: 'end' the subscription (default) or 'block' the writers. */
  onFull?: 'end' | 'block'
}

export const DEFAULT_MAX_QUEUE_BYTES = 16 * 1024 * 1024
/** What a queued change is charged beyond its key and value bytes (the Change and its Buffers). */
export const CHANGE_OVERHEAD = 96

/** A group's changes for one subscriber: positions into the shared captured batches. */
interface QueuedGroup {
  batches: readonly CapturedBatch[]
  /** Pairs (batch index, op index) of the matching ops, with their versions. */
  picks: number[]
  versions: number[]
  bytes: number
  drop?: undefined
}

/** A dropPrefix() for one subscriber, handed over once `recorded` resolves. */
interface QueuedDrop {
  drop: { prefixes: Uint8Array[]; seq: number; recorded: Promise<void> }
  bytes: number
}

/**
 * A subscription's catch-up: hands `deliver` its changes in order, one chunk at a time, and
 * stops when deliver resolves false (the subscription ended).
 */
export type CatchUp = (deliver: (changes: Change[]) => Promise<boolean>) => Promise<void>

interface Subscriber {
  prefixes: Uint8Array[]
  callback: ChangeCallback
  maxQueueBytes: number
  block: boolean
  queue: (QueuedGroup | QueuedDrop)[]
  queuedBytes: number
  /** The most queuedBytes ever reached (for tests and stats). */
  peakQueuedBytes: number
  /** The resumeFrom of the last change handed to the callback. */
  lastDelivered: number
  delivering: boolean
  ended: boolean
  finish: (err?: unknown) => void
}

export interface SubscriberStats {
  queuedBytes: number
  peakQueuedBytes: number
  maxQueueBytes: number
}

/** subscribe()'s callback and limits, checked (a catch-up checks them before it starts). */
export function checkSubscription(callback: unknown, limits: SubscribeLimits): { maxQueueBytes: number; onFull: 'end' | 'block' } {
  if (typeof callback !== 'function') throw new InvalidArgumentError('subscribe needs a callback function')
  const maxQueueBytes = limits.maxQueueBytes ?? DEFAULT_MAX_QUEUE_BYTES
  if (typeof maxQueueBytes !== 'number' || !(maxQueueBytes > 0) || !Number.isFinite(maxQueueBytes)) {
    throw new InvalidArgumentError('options.maxQueueBytes must be a finite number > 0')
  }
  const onFull = limits.onFull ?? 'end'
  if (onFull !== 'end' && onFull !== 'block') throw new InvalidArgumentError("options.onFull must be 'end' or 'block'")
  return { maxQueueBytes, onFull }
}

export class Subscriptions {
  private readonly subscribers = new Set<Subscriber>()
  /** Writers waiting in roomFor(), woken as blocking subscribers drain. */
  private waiters: { bytes: number; resolve: () => void }[] = []
  private closing = false
  /** Drops queued and not yet recorded (a catch-up must not start before they are). */
  private readonly pendingDrops = new Set<Promise<void>>()

  get active(): boolean {
    return this.subscribers.size > 0
  }

  /**
   * Resolves when `signal` aborts (after the changes already queued are delivered) or the
   * database closes; rejects if the callback throws, or with SubscriberOverflowError when the
   * queue overflows under onFull 'end'.
   */
  subscribe(prefixes: Uint8Array[], callback: ChangeCallback, signal: AbortSignal | undefined, limits: SubscribeLimits = {}, catchUp?: CatchUp): Promise<void> {
    const { maxQueueBytes, onFull } = checkSubscription(callback, limits)
    return new Promise<void>((resolve, reject) => {
      let done = false
      const sub: Subscriber = {
        prefixes, callback, maxQueueBytes, block: onFull === 'block',
        queue: [], queuedBytes: 0, peakQueuedBytes: 0, lastDelivered: 0, delivering: false, ended: false,
        finish: (err) => {
          if (done) return
          done = true
          sub.ended = true
          sub.queue.length = 0
          sub.queuedBytes = 0
          this.subscribers.delete(sub)
          signal?.removeEventListener('abort', onAbort)
          this.wakeWriters()
          if (err === undefined) resolve()
          else reject(err)
        },
      }
      const onAbort = () => {
        if (!sub.delivering) sub.finish()
        else this.subscribers.delete(sub) // finishes once the running delivery drains its queue
      }
      if (signal?.aborted) return resolve()
      signal?.addEventListener('abort', onAbort, { once: true })
      this.subscribers.add(sub)
      if (catchUp) void this.runCatchUp(sub, catchUp)
    })
  }

  /** Resolves once every drop queued so far is recorded (or has failed). */
  async dropsSettled(): Promise<void> {
    await Promise.allSettled([...this.pendingDrops])
  }

  /**
   * The catch-up first, then the live queue. The subscription holds `delivering` throughout, so
   * publish() only queues; an abort or an overflow ends it between two chunks.
   */
  private async runCatchUp(sub: Subscriber, catchUp: CatchUp): Promise<void> {
    sub.delivering = true
    const live = () => !sub.ended && this.subscribers.has(sub)
    try {
      await catchUp(async (changes) => {
        if (!live()) return false
        if (changes.length === 0) return true
        sub.lastDelivered = changes[changes.length - 1].resumeFrom
        await sub.callback(changes)
        return live()
      })
    } catch (err) {
      sub.delivering = false
      sub.finish(err)
      return
    }
    sub.delivering = false
    // Stopped part-way (an abort or a close): the live changes queued behind it would leave a gap.
    if (!live()) return sub.finish()
    void this.deliver(sub)
  }

  /** Copies a group's columns (not their bytes: committed keys and values are never changed). */
  capture(batches: readonly BatchOps[]): CapturedBatch[] {
    return batches.map((b) => ({ kinds: b.kinds.slice(), keys: b.keys, values: b.values.slice() }))
  }

  /**
   * For writers: undefined when a group of `count` ops with `bytes` of keys and values may be
   * committed now, else a promise that resolves once every blocking subscriber has room for it
   * (or is empty, or has ended).
   */
  roomFor(bytes: number, count: number): Promise<void> | undefined {
    if (!this.active) return undefined
    bytes += count * CHANGE_OVERHEAD
    if (!this.mustWait(bytes)) return undefined
    return new Promise<void>((resolve) => this.waiters.push({ bytes, resolve }))
  }

  /** The database is closing: writers stop waiting, so the queued writes can finish. */
  stopBlocking(): void {
    this.closing = true
    this.wakeWriters()
  }

  private mustWait(bytes: number): boolean {
    if (this.closing) return false
    for (const sub of this.subscribers) {
      if (sub.block && sub.queuedBytes > 0 && sub.queuedBytes + bytes > sub.maxQueueBytes) return true
    }
    return false
  }

  private wakeWriters(): void {
    if (this.waiters.length === 0) return
    const still = []
    for (const w of this.waiters) {
      if (this.mustWait(w.bytes)) still.push(w)
      else w.resolve()
    }
    this.waiters = still
  }

  /** Hands a committed group, whose first op has `firstSeq`, to every matching subscriber. */
  publish(batches: readonly CapturedBatch[], firstSeq: number): void {
    for (const sub of [...this.subscribers]) {
      const picks: number[] = []
      const versions: number[] = []
      let bytes = 0
      let seq = firstSeq
      for (let bi = 0; bi < batches.length; bi++) {
        const b = batches[bi]
        for (let i = 0; i < b.kinds.length; i++, seq++) {
          const key = b.keys[i]
          if (sub.prefixes.length > 0 && !sub.prefixes.some((p) => hasPrefix(key, p))) continue
          picks.push(bi, i)
          versions.push(seq)
          bytes += key.length + (b.kinds[i] === Kind.Delete ? 0 : b.values[i].length) + CHANGE_OVERHEAD
        }
      }
      if (versions.length > 0) this.enqueue(sub, { batches, picks, versions, bytes })
    }
  }

  /**
   * Queues a dropPrefix() that has sequence number `seq`, in commit order: it is handed over, and
   * the changes queued after it are, once `recorded` resolves (the manifest holds the drop).
   * requires: inside the write path's runExclusive, so no write group is between seq and now.
   */
  publishDrop(prefixes: Uint8Array[], seq: number, recorded: Promise<void>): void {
    const pending = recorded.catch(() => undefined).finally(() => this.pendingDrops.delete(pending))
    this.pendingDrops.add(pending)
    for (const sub of [...this.subscribers]) {
      const mine = prefixes.filter((p) => sub.prefixes.length === 0 || sub.prefixes.some((q) => hasPrefix(p, q) || hasPrefix(q, p)))
      if (mine.length === 0) continue
      this.enqueue(sub, { drop: { prefixes: mine, seq, recorded }, bytes: mine.reduce((n, p) => n + p.length + CHANGE_OVERHEAD, 0) })
    }
  }

  private enqueue(sub: Subscriber, item: QueuedGroup | QueuedDrop): void {
    if (!sub.block && sub.queuedBytes > 0 && sub.queuedBytes + item.bytes > sub.maxQueueBytes) {
      sub.finish(new SubscriberOverflowError(sub.maxQueueBytes, sub.lastDelivered))
      return
    }
    sub.queue.push(item)
    sub.queuedBytes += item.bytes
    if (sub.queuedBytes > sub.peakQueuedBytes) sub.peakQueuedBytes = sub.queuedBytes
    if (!sub.delivering) void this.deliver(sub)
  }

  private async deliver(sub: Subscriber): Promise<void> {
    sub.delivering = true
    try {
      while (sub.queue.length > 0 && !sub.ended) {
        const group = sub.queue[0]
        if (group.drop !== undefined) await group.drop.recorded
        if (sub.ended) return
        const changes = group.drop !== undefined ? dropChanges(group.drop.prefixes, group.drop.seq) : materialize(group)
        sub.lastDelivered = changes[changes.length - 1].resumeFrom
        await sub.callback(changes)
        if (sub.ended) return
        sub.queue.shift()
        sub.queuedBytes -= group.bytes
        this.wakeWriters()
      }
    } catch (err) {
      sub.finish(err)
      return
    } finally {
      sub.delivering = false
    }
    if (!this.subscribers.has(sub)) sub.finish()
  }

  /** Each live subscriber's queue, in subscription order. */
  stats(): SubscriberStats[] {
    return [...this.subscribers].map((s) => ({ queuedBytes: s.queuedBytes, peakQueuedBytes: s.peakQueuedBytes, maxQueueBytes: s.maxQueueBytes }))
  }

  /** The database closed: every subscription ends after delivering what it has. */
  closeAll(): void {
    for (const sub of [...this.subscribers]) {
      this.subscribers.delete(sub)
      if (!sub.delivering) sub.finish()
    }
    this.wakeWriters()
  }
}

/** The Change objects for one queued group, in Buffers the callback owns. */
function materialize(group: QueuedGroup): Change[] {
  const changes: Change[] = new Array(group.versions.length)
  for (let n = 0; n < group.versions.length; n++) {
    const b = group.batches[group.picks[2 * n]]
    const i = group.picks[2 * n + 1]
    const kind = b.kinds[i]
    const deleted = kind === Kind.Delete
    changes[n] = {
      key: Buffer.from(b.keys[i]),
      value: deleted ? undefined : Buffer.from(entryPayload(kind, b.values[i])),
      version: group.versions[n], deleted,
      expiresAt: entryExpiresAt(kind, b.values[i]), meta: entryMeta(kind, b.values[i]),
      resumeFrom: group.versions[n],
    }
  }
  return changes
}

/** The changes a dropPrefix() of `prefixes` at `seq` is handed over as, one per prefix. */
export function dropChanges(prefixes: readonly Uint8Array[], seq: number, resumeFrom = seq): Change[] {
  return prefixes.map((p) => ({
    key: Buffer.from(p), value: undefined, version: seq, deleted: true, expiresAt: 0, meta: 0, droppedPrefix: true, resumeFrom,
  }))
}
