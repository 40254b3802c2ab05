// The user-facing iterator: walks the merged memtables and tables at one sequence number, shows
// each user key's newest visible version once, hides deleted keys, and applies range, prefix,
// direction and limit. It pins the version and memtables it started on until closed, so files
// it reads are not deleted under it.

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
}

/** The smallest byte string greater than every string starting with `prefix`, or undefined. */
export function prefixSuccessor(prefix: Uint8Array): Uint8Array | undefined {
  for (let i = prefix.length - 1; i >= 0; i--) {
    if (prefix[i] !== 0xff) {
      const out = prefix.slice(0, i + 1)
      out[i]++
      return out
    }
  }
  return undefined
}

interface Bounds {
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

function resolveBounds(r: RangeOptions): Bounds {
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
  key: Uint8Array | undefined = undefined
  value: Uint8Array | undefined = undefined

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
    const found = this.s.reverse ? this.findPrev() : this.findNext()
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
      if (it.kind() === Kind.Delete || this.belowLower(key)) {
        const k = key.slice()
        while (it.valid() && bytesEqual(it.userKey(), k)) it.next()
        continue
      }
      const found = key.slice()
      this.value = this.s.keysOnly ? undefined : this.resolve(it.kind(), it.value(), found)
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
      const key = it.userKey().slice()
      if (this.belowLower(key)) return false
      // Walking backwards meets a key's versions oldest first: the last visible one is the newest.
      let kind = -1
      let value: Uint8Array | undefined
      while (it.valid() && bytesEqual(it.userKey(), key)) {
        if (it.seq() <= readSeq) {
          kind = it.kind()
          value = kind === Kind.Delete || this.s.keysOnly ? undefined : it.value().slice()
        }
        it.prev()
      }
      if (kind < 0 || kind === Kind.Delete || this.aboveUpper(key)) continue
      this.key = key
      this.value = this.s.keysOnly ? undefined : this.resolve(kind, value!, key)
      return true
    }
    return false
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    this.key = undefined
    this.value = undefined
    this.iter.close()
    this.onClose()
  }

  get isClosed(): boolean {
    return this.closed
  }
}
