// The user-facing iterator: walks the merged memtables and tables at one sequence number, shows
// each user key's newest visible version once, hides deleted, expired and dropped keys, and
// applies range, prefix, direction and limit. With allVersions it shows every version at the
// sequence number instead, deletions and expired ones included (marked deleted), newest first
// per key. It pins the version and memtables it started on until closed, so files it reads are
// not deleted under it.

import { type DroppedPrefix, isDropped, prefixSuccessor } from '../base/dropped-prefixes.js'
import { entryExpiresAt, entryMeta, isDeadEntry } from '../base/entry-value.js'
import { isAbsent } from '../base/visibility.js'
import { Kind, bytesEqual, compareBytes } from '../base/internal-key.js'
import type { InternalIterator } from '../base/internal-iterator.js'

export interface RangeOptions {
  gt?: Uint8Array
  gte?: Uint8Array
  lt?: Uint8Array
  lte?: Uint8Array
  /** Only keys starting with these bytes (combined with the bounds above). */
  prefix?: Uint8Array
}

export interface IteratorSettings extends RangeOptions {
  reverse: boolean
  /** Most entries to yield; Infinity for no limit. */
  limit: number
  keysOnly: boolean
  readSeq: number
  /** Every version rather than the newest (deletions and expired versions included). */
  allVersions: boolean
  /** Fill `info` for each entry. */
  entryInfo: boolean
  /** The clock reading expiry is judged by, taken when the iterator was created. */
  now: number
  droppedPrefixes: readonly DroppedPrefix[]
}

/** What the LSM knows of an entry besides key and value (the iterator's entryInfo option). */
export interface EntryInfo {
  /** The sequence number of the write (BadgerDB's version). */
  version: number
  /** Expiry in ms since the epoch, 0 for never. */
  expiresAt: number
  meta: number
  /** A deletion or an expired version (only allVersions shows these; their value is undefined). */
  deleted: boolean
}

interface PendingVersion {
  seq: number
  kind: number
  value: Uint8Array
}


/** A range resolved to its two ends (prefix folded in); undefined ends are unbounded. */
export interface Bounds {
  lower?: Uint8Array
  lowerExclusive: boolean
  upper?: Uint8Array
  upperExclusive: boolean
}

function maxBound(a: Uint8Array | undefined, b: Uint8Array | undefined): Uint8Array | undefined {
  if (a === undefined) return b
  if (b === undefined) return a
  return compareBytes(a, b) >= 0 ? a : b
}

export function resolveBounds(r: RangeOptions): Bounds {
  const b: Bounds = { lowerExclusive: false, upperExclusive: true }
  if (r.gt !== undefined) (b.lower = r.gt), (b.lowerExclusive = true)
  else if (r.gte !== undefined) b.lower = r.gte
  if (r.lt !== undefined) b.upper = r.lt
  else if (r.lte !== undefined) (b.upper = r.lte), (b.upperExclusive = false)
  if (r.prefix !== undefined && r.prefix.length > 0) {
    const lower = maxBound(b.lower, r.prefix)
    if (lower !== b.lower) (b.lower = lower), (b.lowerExclusive = false)
    const succ = prefixSuccessor(r.prefix)
    const c = succ === undefined || b.upper === undefined ? -1 : compareBytes(succ, b.upper)
    // At equal bytes the exclusive bound is the tighter one.
    if (succ !== undefined && (c < 0 || (c === 0 && !b.upperExclusive))) {
      b.upper = succ
      b.upperExclusive = true
    }
  }
  return b
}

/** The smallest key greater than `key`: seekLT(justAfter(k)) lands on the last key <= k. */
function justAfter(key: Uint8Array): Uint8Array {
  const after = new Uint8Array(key.length + 1)
  after.set(key)
  return after
}

/**
 * A copy of `bytes` that the caller owns, as a Buffer from Node's shared pool: a key per entry
 * allocated as an ArrayBuffer of its own (Uint8Array.slice) was the largest cost of a scan of
 * small values.
 */
function ownedCopy(bytes: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(bytes.length)
  out.set(bytes)
  return out
}

/** Resolves a stored value (inline bytes or a value pointer) into bytes the caller may keep. */
export type ValueResolver = (kind: number, value: Uint8Array, key: Uint8Array) => Uint8Array

export class DBIteratorCore {
  private readonly iter: InternalIterator
  private readonly s: IteratorSettings
  private readonly bounds: Bounds
  private readonly resolve: ValueResolver
  private readonly onClose: () => void
  private started = false
  private count = 0
  private closed = false
  /** The current entry's key: a Buffer the caller may keep. */
  key: Buffer | undefined = undefined
  value: Uint8Array | undefined = undefined
  info: EntryInfo | undefined = undefined
  /** allVersions in reverse: the current key's versions still to show, oldest first. */
  private pending: PendingVersion[] = []
  private pendingKey: Buffer | undefined
  /** allVersions, forward: the seq of the version last shown (with `key`), to skip a repeat. */
  private lastSeq = -1

  constructor(iter: InternalIterator, settings: IteratorSettings, resolve: ValueResolver, onClose: () => void) {
    this.iter = iter
    this.s = settings
    this.bounds = resolveBounds(settings)
    this.resolve = resolve
    this.onClose = onClose
  }

  private aboveUpper(key: Uint8Array): boolean {
    const u = this.bounds.upper
    if (u === undefined) return false
    const c = compareBytes(key, u)
    return this.bounds.upperExclusive ? c >= 0 : c > 0
  }

  private belowLower(key: Uint8Array): boolean {
    const l = this.bounds.lower
    if (l === undefined) return false
    const c = compareBytes(key, l)
    return this.bounds.lowerExclusive ? c <= 0 : c < 0
  }

  private start(): void {
    this.started = true
    const { lower, upper, upperExclusive } = this.bounds
    if (!this.s.reverse) {
      if (lower !== undefined) this.iter.seekGE(lower)
      else this.iter.first()
    } else if (upper !== undefined) {
      if (upperExclusive) this.iter.seekLT(upper)
      else this.iter.seekLT(justAfter(upper))
    } else {
      this.iter.last()
    }
  }

  /**
   * Repositions so the next entry is the first key >= target (in reverse, the last key <= target),
   * still within the range. The limit keeps counting.
   */
  seek(target: Uint8Array): void {
    if (this.closed) return
    this.pending.length = 0
    this.lastSeq = -1
    const { lower, upper } = this.bounds
    if (!this.s.reverse) {
      if (lower !== undefined && compareBytes(target, lower) < 0) return this.start()
      this.started = true
      this.iter.seekGE(target)
    } else {
      if (upper !== undefined && compareBytes(target, upper) >= 0) return this.start()
      this.started = true
      this.iter.seekLT(justAfter(target))
    }
  }

  /** Moves to the next visible entry; false (and closes) when there is none. */
  advance(): boolean {
    if (this.closed) return false
    if (this.count >= this.s.limit) {
      this.close()
      return false
    }
    if (!this.started) this.start()
    const found = this.s.allVersions
      ? (this.s.reverse ? this.findPrevVersion() : this.findNextVersion())
      : (this.s.reverse ? this.findPrev() : this.findNext())
    if (!found) {
      this.close()
      return false
    }
    this.count++
    return true
  }

  private findNext(): boolean {
    const it = this.iter
    const readSeq = this.s.readSeq
    while (it.valid()) {
      const key = it.userKey()
      if (this.aboveUpper(key)) return false
      if (it.seq() > readSeq) {
        it.next()
        continue
      }
      // The first visible entry of a key is its newest version at readSeq.
      if (this.isDead(key, it.seq(), it.kind(), it.value()) || this.belowLower(key)) {
        const k = key.slice()
        while (it.valid() && bytesEqual(it.userKey(), k)) it.next()
        continue
      }
      const found = ownedCopy(key)
      this.value = this.s.keysOnly ? undefined : this.resolve(it.kind(), it.value(), found)
      if (this.s.entryInfo) this.info = this.describe(it.seq(), it.kind(), it.value(), false)
      // Step past the key's older versions now, while `found` is still ours: the caller gets it
      // next and may change its bytes.
      do it.next()
      while (it.valid() && bytesEqual(it.userKey(), found))
      this.key = found
      return true
    }
    return false
  }

  private findPrev(): boolean {
    const it = this.iter
    const readSeq = this.s.readSeq
    while (it.valid()) {
      const key = ownedCopy(it.userKey())
      if (this.belowLower(key)) return false
      // Walking backwards meets a key's versions oldest first: the last visible one is the newest.
      let kind = -1
      let seq = 0
      let value: Uint8Array | undefined
      while (it.valid() && bytesEqual(it.userKey(), key)) {
        if (it.seq() <= readSeq) {
          kind = it.kind()
          seq = it.seq()
          value = kind === Kind.Delete ? undefined : it.value().slice()
        }
        it.prev()
      }
      if (kind < 0 || this.isDead(key, seq, kind, value!) || this.aboveUpper(key)) continue
      this.key = key
      this.value = this.s.keysOnly ? undefined : this.resolve(kind, value!, key)
      if (this.s.entryInfo) this.info = this.describe(seq, kind, value!, false)
      return true
    }
    return false
  }

  /** allVersions, forward: each visible version in internal order (newest first per key). */
  private findNextVersion(): boolean {
    const it = this.iter
    while (it.valid()) {
      const key = it.userKey()
      if (this.aboveUpper(key)) return false
      const seq = it.seq()
      // The same (key, seq) twice: value-log GC's moved copy, newer source first, and the
      // original a compaction has not merged away yet. The first is the one to show.
      const repeat = seq === this.lastSeq && this.key !== undefined && bytesEqual(key, this.key)
      if (repeat || seq > this.s.readSeq || this.belowLower(key) || this.isDroppedEntry(key, seq)) {
        it.next()
        continue
      }
      this.emitVersion(ownedCopy(key), seq, it.kind(), it.value())
      this.lastSeq = seq
      it.next()
      return true
    }
    return false
  }

  /** allVersions, reverse: keys largest first, each key's versions newest first. */
  private findPrevVersion(): boolean {
    const it = this.iter
    while (this.pending.length === 0) {
      if (!it.valid()) return false
      const key = ownedCopy(it.userKey())
      if (this.belowLower(key)) return false
      while (it.valid() && bytesEqual(it.userKey(), key)) {
        const seq = it.seq()
        if (seq <= this.s.readSeq && !this.isDroppedEntry(key, seq)) {
          const v = { seq, kind: it.kind(), value: it.value().slice() }
          // Backwards, a repeated (key, seq) meets the older source first: the later one wins.
          const top = this.pending[this.pending.length - 1]
          if (top !== undefined && top.seq === seq) this.pending[this.pending.length - 1] = v
          else this.pending.push(v)
        }
        it.prev()
      }
      if (this.aboveUpper(key)) this.pending.length = 0
      this.pendingKey = key
    }
    const v = this.pending.pop()!
    this.emitVersion(this.pendingKey!, v.seq, v.kind, v.value)
    return true
  }

  private emitVersion(key: Buffer, seq: number, kind: number, value: Uint8Array): void {
    const deleted = isDeadEntry(kind, value, this.s.now)
    this.key = key
    this.value = deleted || this.s.keysOnly ? undefined : this.resolve(kind, value, key)
    this.info = this.describe(seq, kind, value, deleted)
  }

  private describe(seq: number, kind: number, value: Uint8Array, deleted: boolean): EntryInfo {
    return { version: seq, expiresAt: entryExpiresAt(kind, value), meta: entryMeta(kind, value), deleted }
  }

  private isDroppedEntry(key: Uint8Array, seq: number): boolean {
    return this.s.droppedPrefixes.length > 0 && isDropped(this.s.droppedPrefixes, key, seq)
  }

  /** A deletion, expired, or dropped: the key reads as absent. */
  private isDead(key: Uint8Array, seq: number, kind: number, value: Uint8Array): boolean {
    return isAbsent(this.s.now, this.s.droppedPrefixes, key, seq, kind, value)
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    this.key = undefined
    this.value = undefined
    this.info = undefined
    this.pending.length = 0
    this.iter.close()
    this.onClose()
  }

  get isClosed(): boolean {
    return this.closed
  }
}

/** Whether a key lies within range options (bounds and prefix), for sources beside the LSM. */
export function rangePredicate(r: RangeOptions): (key: Uint8Array) => boolean {
  const b = resolveBounds(r)
  return (key) => {
    if (b.lower !== undefined) {
      const c = compareBytes(key, b.lower)
      if (b.lowerExclusive ? c <= 0 : c < 0) return false
    }
    if (b.upper !== undefined) {
      const c = compareBytes(key, b.upper)
      if (b.upperExclusive ? c >= 0 : c > 0) return false
    }
    return true
  }
}
