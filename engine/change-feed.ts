// The resumable change feed: subscribe({ since }) hands over every change committed after
// `since`, then goes on live, with no gap and no duplicate at the seam.
//
// The seam: inside the writer queue's runExclusive (no write group in flight, no drop pending)
// one synchronous step reads S = the last sequence number, opens a scan pinning the memtables
// and tables as they are, and registers the live subscription. Live delivers seq > S; the
// catch-up delivers since < seq <= S from the scan, and the live queue waits behind it.
//
// Two kinds of catch-up, by what the LSM still holds:
// - exact (since >= the merge horizon: no flush or compaction has merged away a version after
//   since): every change in version order, as it was written, each dropPrefix in its place.
//   Changes a dropPrefix at or before S covers are left out (reads can no longer see them);
//   the drop itself says they went. In passes over the scan, each keeping the lowest versions
//   above a cursor in a heap of at most maxQueueBytes, so memory stays bounded.
// - merged (since below the merge horizon): the drops after since first, then the newest state
//   of every key changed after since, in key order, deletions included, marked merged: true;
//   resumeFrom stays at since until the last of them, which carries S. One pass.
// A since below the tombstone horizon (compaction dropped a deletion after it, or a dropPrefix
// after it was forgotten) is refused with HistoryUnavailableError: its answer would miss it.
// Entries that expired are handed over as written (expiresAt says when they end); an expiry is
// no change of its own, so the consumer judges it by expiresAt, as a read does.
//
// Memory: the heap (exact) or one chunk (merged) of at most maxQueueBytes, plus the chunk being
// handed over, plus the live queue (maxQueueBytes): about three times maxQueueBytes at most.
// Never writes anything.

import { type DroppedPrefix, hasPrefix, isDropped } from '../base/dropped-prefixes.js'
import { entryExpiresAt, entryMeta, entryPayload, isPointerKind } from '../base/entry-value.js'
import { ClosedError, HistoryUnavailableError, InvalidArgumentError } from '../base/errors.js'
import { Kind, bytesEqual } from '../base/internal-key.js'
import type { InternalScan } from './backup.js'
import {
  CHANGE_OVERHEAD, type Change, type ChangeCallback, DEFAULT_MAX_QUEUE_BYTES, type SubscribeLimits, type Subscriptions,
  checkSubscription, dropChanges,
} from './subscriptions.js'

/** What the feed sees the engine through. */
export interface FeedHost {
  subscriptions: Subscriptions
  /** Runs `step` between write groups (the write path's runExclusive). */
  exclusive<T>(step: () => Promise<T>): Promise<T>
  lastSeq(): number
  tombstoneHorizon(): number
  mergeHorizon(): number
  droppedPrefixes(): DroppedPrefix[]
  /** Every internal entry of the memtables and tables as they are now, pinned until closed. */
  scan(): InternalScan
}

/** subscribe({ since, ... }): the catch-up, then live. */
export async function subscribeSince(
  host: FeedHost, since: unknown, prefixes: Uint8Array[], callback: ChangeCallback, signal: AbortSignal | undefined, limits: SubscribeLimits,
): Promise<void> {
  if (typeof since !== 'number' || !Number.isSafeInteger(since) || since < 0) {
    throw new InvalidArgumentError(`options.since must be a version (an integer >= 0), got ${String(since)}`)
  }
  checkSubscription(callback, limits)
  const budget = limits.maxQueueBytes ?? DEFAULT_MAX_QUEUE_BYTES
  const subscription = await host.exclusive(async () => {
    await host.subscriptions.dropsSettled()
    const until = host.lastSeq()
    if (since > until) {
      throw new InvalidArgumentError(`options.since ${since} is after the database's last version ${until} (another database, or one that lost writes it had acknowledged without sync)`)
    }
    const horizon = host.tombstoneHorizon()
    if (since < horizon) {
      throw new HistoryUnavailableError(since, horizon, `compaction dropped deletions (or a dropPrefix was forgotten) up to version ${horizon}`)
    }
    const cut: Cut = { since, until, prefixes, drops: host.droppedPrefixes().slice(), budget }
    const scan = host.scan()
    const exact = since >= host.mergeHorizon()
    const catchUp = async (deliver: (changes: Change[]) => Promise<boolean>) => {
      try {
        if (since < until) await (exact ? exactCatchUp(cut, scan, deliver) : mergedCatchUp(cut, scan, deliver))
      } finally {
        scan.close()
      }
    }
    return { done: host.subscriptions.subscribe(prefixes, callback, signal, limits, catchUp) }
  })
  return subscription.done
}

/** What a catch-up covers: versions in (since, until], the subscriber's prefixes, the drops at until. */
interface Cut {
  since: number
  until: number
  prefixes: Uint8Array[]
  drops: DroppedPrefix[]
  budget: number
}

/** One stored entry as the scan gave it (copied: the scan's buffers are valid until it moves). */
interface Held {
  key: Uint8Array
  seq: number
  kind: number
  value: Uint8Array
}

const matches = (cut: Cut, key: Uint8Array) => cut.prefixes.length === 0 || cut.prefixes.some((p) => hasPrefix(key, p))
const heldBytes = (e: Held) => e.key.length + e.value.length + CHANGE_OVERHEAD

/** The drops in (lo, hi] this subscriber hears of, oldest first. */
function dropsIn(cut: Cut, lo: number, hi: number): DroppedPrefix[] {
  return cut.drops
    .filter((d) => d.seq > lo && d.seq <= hi && (cut.prefixes.length === 0 || cut.prefixes.some((q) => hasPrefix(d.prefix, q) || hasPrefix(q, d.prefix))))
    .sort((a, b) => a.seq - b.seq)
}

type Visit = (key: Uint8Array, seq: number, kind: number, value: Uint8Array, newest: boolean) => void | Promise<boolean>

/**
 * Walks the scan: `visit` gets each entry of a version in (since, until] the subscriber would
 * hear of (newest: the first of its key at or below until), and kind -1 for a key whose newest
 * version says nothing after since. A visit may return a promise (the walk waits; false stops it).
 */
async function walk(cut: Cut, scan: InternalScan, visit: Visit): Promise<boolean> {
  const it = scan.source
  let lastKey: Uint8Array | undefined
  let lastSeq = -1
  for (it.first(); it.valid(); it.next()) {
    if (scan.closed()) throw new ClosedError('the database closed under the change feed')
    const seq = it.seq()
    if (seq > cut.until) continue
    const key = it.userKey()
    const sameKey = lastKey !== undefined && bytesEqual(key, lastKey)
    // A second copy of one (key, seq): value-log GC moved it; the first met is the newer.
    if (sameKey && seq === lastSeq) continue
    if (!sameKey) lastKey = key.slice()
    lastSeq = seq
    const silent = seq <= cut.since || !matches(cut, key) || isDropped(cut.drops, key, seq)
    if (silent && sameKey) continue
    const r = visit(key, seq, silent ? -1 : it.kind(), it.value(), !sameKey)
    if (r !== undefined && !(await r)) return false
  }
  return true
}

function toChange(scan: InternalScan, e: Held, resumeFrom: number, merged: boolean): Change {
  const deleted = e.kind === Kind.Delete
  const payload = deleted ? undefined : entryPayload(e.kind, e.value)
  const value = payload === undefined ? undefined : Buffer.from(isPointerKind(e.kind) ? scan.readValueLog(payload, e.key) : payload)
  const c: Change = {
    key: Buffer.from(e.key), value, version: e.seq, deleted,
    expiresAt: entryExpiresAt(e.kind, e.value), meta: entryMeta(e.kind, e.value), resumeFrom,
  }
  if (merged) c.merged = true
  return c
}

/** Hands `items` over in chunks of at most `budget` bytes; false once the subscription ended. */
async function inChunks<T>(items: T[], budget: number, size: (t: T) => number, make: (t: T, last: boolean) => Change[], deliver: (c: Change[]) => Promise<boolean>): Promise<boolean> {
  let chunk: Change[] = []
  let bytes = 0
  for (let i = 0; i < items.length; i++) {
    chunk.push(...make(items[i], i === items.length - 1))
    bytes += size(items[i])
    if (bytes >= budget || i === items.length - 1) {
      if (!(await deliver(chunk))) return false
      chunk = []
      bytes = 0
    }
  }
  return true
}

/** Every change in (since, until] in version order, in passes of at most `budget` bytes. */
async function exactCatchUp(cut: Cut, scan: InternalScan, deliver: (c: Change[]) => Promise<boolean>): Promise<void> {
  let cursor = cut.since
  while (cursor < cut.until) {
    const heap = new MaxHeap()
    // The lowest version this pass let go. Once one is let go, none at or above it may be taken
    // (a pop can make room again later): the pass covers only (cursor, ceiling).
    let ceiling = Infinity
    await walk(cut, scan, (key, seq, kind, value) => {
      if (kind < 0 || seq <= cursor || seq >= ceiling) return
      if (heap.full(cut.budget) && seq > heap.top().seq) {
        ceiling = seq
        return
      }
      heap.push({ key: key.slice(), seq, kind, value: value.slice() })
      while (heap.size > 1 && heap.bytes > cut.budget) {
        ceiling = heap.top().seq
        heap.pop()
      }
    })
    // Everything in (cursor, hi] is in the heap: every version let go is at or above the ceiling.
    const hi = ceiling === Infinity ? cut.until : ceiling - 1
    const entries: (Held | DroppedPrefix)[] = heap.drain()
    entries.push(...dropsIn(cut, cursor, hi))
    const seqOf = (x: Held | DroppedPrefix) => x.seq
    entries.sort((a, b) => seqOf(a) - seqOf(b))
    const ok = await inChunks(entries, cut.budget, (x) => ('key' in x ? heldBytes(x) : x.prefix.length + CHANGE_OVERHEAD),
      (x) => ('key' in x ? [toChange(scan, x, x.seq, false)] : dropChanges([x.prefix], x.seq)), deliver)
    if (!ok) return
    cursor = hi
  }
}

/** The drops after since, then each changed key's newest state, in key order; one pass. */
async function mergedCatchUp(cut: Cut, scan: InternalScan, deliver: (c: Change[]) => Promise<boolean>): Promise<void> {
  const make = (x: Held | DroppedPrefix, resumeFrom: number): Change => {
    if ('key' in x) return toChange(scan, x, resumeFrom, true)
    const [c] = dropChanges([x.prefix], x.seq, resumeFrom)
    c.merged = true
    return c
  }
  // One entry is always held back, so the catch-up's last change can carry resumeFrom = until.
  let held: (Held | DroppedPrefix)[] = dropsIn(cut, cut.since, cut.until)
  let bytes = 0
  const handOver = async (all: boolean): Promise<boolean> => {
    const n = all ? held.length : held.length - 1
    if (n <= 0) return true
    const changes = held.slice(0, n).map((x, i) => make(x, all && i === n - 1 ? cut.until : cut.since))
    held = held.slice(n)
    bytes = held.reduce((m, x) => m + ('key' in x ? heldBytes(x) : 0), 0)
    return deliver(changes)
  }
  const finished = await walk(cut, scan, (key, seq, kind, value, newest) => {
    if (kind < 0 || !newest) return undefined
    const e = { key: key.slice(), seq, kind, value: value.slice() }
    held.push(e)
    bytes += heldBytes(e)
    return bytes >= cut.budget ? handOver(false) : undefined
  })
  if (finished) await handOver(true)
}

/** A max-heap of held entries by version, with their byte count. */
class MaxHeap {
  private readonly a: Held[] = []
  bytes = 0

  get size(): number {
    return this.a.length
  }

  full(budget: number): boolean {
    return this.a.length > 0 && this.bytes >= budget
  }

  top(): Held {
    return this.a[0]
  }

  push(e: Held): void {
    const a = this.a
    a.push(e)
    this.bytes += heldBytes(e)
    let i = a.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (a[p].seq >= a[i].seq) break
      ;[a[p], a[i]] = [a[i], a[p]]
      i = p
    }
  }

  pop(): void {
    const a = this.a
    this.bytes -= heldBytes(a[0])
    const last = a.pop()!
    if (a.length === 0) return
    a[0] = last
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < a.length && a[l].seq > a[m].seq) m = l
      if (r < a.length && a[r].seq > a[m].seq) m = r
      if (m === i) return
      ;[a[m], a[i]] = [a[i], a[m]]
      i = m
    }
  }

  drain(): Held[] {
    return this.a.splice(0)
  }
}
