// The change feed behind db.subscribe() (BadgerDB's Subscribe): every committed write, in commit
// order, to each subscriber whose prefixes match. A group is published once it is in the WAL (and
// synced, when it asked to be) and in the memtable, so a subscriber never hears of a write that
// then fails. Each subscriber gets its changes one call at a time, in order; a slow subscriber
// gets a queue of its own and never slows the writers.

import { hasPrefix } from '../base/dropped-prefixes.js'
import { entryExpiresAt, entryMeta, entryPayload } from '../base/entry-value.js'
import { InvalidArgumentError } from '../base/errors.js'
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
  /** Expiry in ms since the epoch, 0 for never. */
  expiresAt: number
  meta: number
}

export type ChangeCallback = (changes: Change[]) => void | Promise<void>

/** A batch's columns as the caller wrote them, captured before large values become pointers. */
export interface CapturedBatch {
  kinds: number[]
  keys: Uint8Array[]
  values: Uint8Array[]
}

interface Subscriber {
  prefixes: Uint8Array[]
  callback: ChangeCallback
  queue: Change[][]
  delivering: boolean
  finish: (err?: unknown) => void
}

export class Subscriptions {
  private readonly subscribers = new Set<Subscriber>()

  get active(): boolean {
    return this.subscribers.size > 0
  }

  /**
   * Resolves when `signal` aborts (after the changes already queued are delivered) or the
   * database closes; rejects if the callback throws.
   */
  subscribe(prefixes: Uint8Array[], callback: ChangeCallback, signal: AbortSignal | undefined): Promise<void> {
    if (typeof callback !== 'function') throw new InvalidArgumentError('subscribe needs a callback function')
    return new Promise<void>((resolve, reject) => {
      let done = false
      const sub: Subscriber = {
        prefixes, callback, queue: [], delivering: false,
        finish: (err) => {
          if (done) return
          done = true
          this.subscribers.delete(sub)
          signal?.removeEventListener('abort', onAbort)
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
    })
  }

  /** Copies a group's columns (not their bytes: committed keys and values are never changed). */
  capture(batches: readonly BatchOps[]): CapturedBatch[] {
    return batches.map((b) => ({ kinds: b.kinds.slice(), keys: b.keys, values: b.values.slice() }))
  }

  /** Hands a committed group, whose first op has `firstSeq`, to every matching subscriber. */
  publish(batches: readonly CapturedBatch[], firstSeq: number): void {
    for (const sub of this.subscribers) {
      const changes: Change[] = []
      let seq = firstSeq
      for (const b of batches) {
        for (let i = 0; i < b.kinds.length; i++, seq++) {
          const key = b.keys[i]
          if (sub.prefixes.length > 0 && !sub.prefixes.some((p) => hasPrefix(key, p))) continue
          const kind = b.kinds[i]
          const deleted = kind === Kind.Delete
          changes.push({
            key: Buffer.from(key),
            value: deleted ? undefined : Buffer.from(entryPayload(kind, b.values[i])),
            version: seq, deleted,
            expiresAt: entryExpiresAt(kind, b.values[i]), meta: entryMeta(kind, b.values[i]),
          })
        }
      }
      if (changes.length === 0) continue
      sub.queue.push(changes)
      if (!sub.delivering) void this.deliver(sub)
    }
  }

  private async deliver(sub: Subscriber): Promise<void> {
    sub.delivering = true
    try {
      while (sub.queue.length > 0) await sub.callback(sub.queue.shift()!)
    } catch (err) {
      sub.finish(err)
      return
    } finally {
      sub.delivering = false
    }
    if (!this.subscribers.has(sub)) sub.finish()
  }

  /** The database closed: every subscription ends after delivering what it has. */
  closeAll(): void {
    for (const sub of [...this.subscribers]) {
      this.subscribers.delete(sub)
      if (!sub.delivering) sub.finish()
    }
  }
}
