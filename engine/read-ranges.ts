// The key ranges a transaction's iterators covered, for conflict checks (FoundationDB's
// read-conflict ranges). An iterator's result depends on every key between where it started and
// the last key it returned, the absent ones included: a key inserted there later is a phantom.
// A forward iterator covers [its lower bound, the last key it returned], or up to its upper bound
// once it ran to the end; a reverse one the mirror image. A seek closes the current span and
// opens another at the target, so the gap it jumped over is not covered. An iterator stopped by
// its limit or closed early covers only what it returned. Keys are compared as bytes.
//
// Spans are kept half-open, [lo, hi): an inclusive upper bound k becomes k + 0x00, the smallest
// key after k. Noting a returned key copies it into the span's own scratch buffer (the caller may
// change the Buffer it was handed), so a long scan allocates nothing per step.
//
// Never reads the database: it only remembers byte ranges.

import type { Bounds } from './db-iterator.js'

const cmp = (a: Uint8Array, b: Uint8Array): number => Buffer.compare(a, b)

/** The smallest key greater than `key`. */
function after(key: Uint8Array): Uint8Array {
  const out = new Uint8Array(key.length + 1)
  out.set(key)
  return out
}

const lowerOf = (b: Bounds): Uint8Array | undefined => (b.lower === undefined ? undefined : b.lowerExclusive ? after(b.lower) : b.lower)
const upperOf = (b: Bounds): Uint8Array | undefined => (b.upper === undefined ? undefined : b.upperExclusive ? b.upper : after(b.upper))

/** One iterator's covered range, growing as it returns keys. */
export class ReadSpan {
  private readonly reverse: boolean
  /** The fixed end: the lower bound going forward, the upper bound in reverse. undefined: unbounded. */
  private readonly fixed: Uint8Array | undefined
  /** The end the range runs to once exhausted. */
  private readonly limitEnd: Uint8Array | undefined
  private scratch = new Uint8Array(32)
  private scratchLength = -1
  private exhausted = false

  /** @internal use ReadRanges.open() */
  constructor(bounds: Bounds, reverse: boolean, seekTarget: Uint8Array | undefined) {
    this.reverse = reverse
    let lo = lowerOf(bounds)
    let hi = upperOf(bounds)
    if (seekTarget !== undefined) {
      if (!reverse && (lo === undefined || cmp(seekTarget, lo) > 0)) lo = seekTarget
      if (reverse) {
        const t = after(seekTarget)
        if (hi === undefined || cmp(t, hi) < 0) hi = t
      }
    }
    this.fixed = reverse ? hi : lo
    this.limitEnd = reverse ? lo : hi
  }

  /** The iterator returned `key`. */
  noteKey(key: Uint8Array): void {
    // One spare byte: going forward the span ends just after the key, at key + 0x00.
    if (this.scratch.length <= key.length) this.scratch = new Uint8Array(Math.max(key.length + 1, this.scratch.length * 2))
    this.scratch.set(key)
    this.scratch[key.length] = 0
    this.scratchLength = key.length
  }

  /** The iterator ran to the end of its range. */
  noteEnd(): void {
    this.exhausted = true
  }

  /** [lo, hi) covered so far (undefined ends are unbounded), or undefined if nothing is yet. */
  covered(): [lo: Uint8Array | undefined, hi: Uint8Array | undefined] | undefined {
    let moving: Uint8Array | undefined
    if (this.exhausted) moving = this.limitEnd
    else if (this.scratchLength < 0) return undefined
    else moving = this.scratch.slice(0, this.reverse ? this.scratchLength : this.scratchLength + 1)
    const [lo, hi] = this.reverse ? [moving, this.fixed] : [this.fixed, moving]
    if (lo !== undefined && hi !== undefined && cmp(lo, hi) >= 0) return undefined
    return [lo, hi]
  }
}

/** Every span a transaction's iterators opened. */
export class ReadRanges {
  private readonly spans: ReadSpan[] = []

  open(bounds: Bounds, reverse: boolean, seekTarget?: Uint8Array): ReadSpan {
    const span = new ReadSpan(bounds, reverse, seekTarget)
    this.spans.push(span)
    return span
  }

  /** The covered ranges as they stand, sorted and merged, for the commit's check; undefined if no iterator was opened. */
  compile(): KeyRanges | undefined {
    if (this.spans.length === 0) return undefined
    const covered = this.spans.map((s) => s.covered()).filter((c) => c !== undefined)
    return new KeyRanges(covered)
  }
}

/** Disjoint sorted half-open ranges with a binary-search membership test. */
export class KeyRanges {
  private readonly lo: Uint8Array[] = []
  /** undefined: unbounded above. */
  private readonly hi: (Uint8Array | undefined)[] = []

  constructor(ranges: [Uint8Array | undefined, Uint8Array | undefined][]) {
    const EMPTY = new Uint8Array(0)
    const sorted = ranges.map(([lo, hi]) => [lo ?? EMPTY, hi] as const).sort((a, b) => cmp(a[0], b[0]))
    for (const [lo, hi] of sorted) {
      const n = this.lo.length
      const last = n === 0 ? EMPTY : this.hi[n - 1]
      if (n > 0 && (last === undefined || cmp(lo, last) <= 0)) {
        if (last !== undefined && (hi === undefined || cmp(hi, last) > 0)) this.hi[n - 1] = hi
        continue
      }
      this.lo.push(lo)
      this.hi.push(hi)
    }
  }

  get isEmpty(): boolean {
    return this.lo.length === 0
  }

  /** How many disjoint ranges remain after merging. */
  get size(): number {
    return this.lo.length
  }

  contains(key: Uint8Array): boolean {
    // The last range starting at or before the key.
    let a = 0
    let b = this.lo.length - 1
    let at = -1
    while (a <= b) {
      const m = (a + b) >> 1
      if (cmp(this.lo[m], key) <= 0) (at = m), (a = m + 1)
      else b = m - 1
    }
    if (at < 0) return false
    const hi = this.hi[at]
    return hi === undefined || cmp(key, hi) < 0
  }
}
