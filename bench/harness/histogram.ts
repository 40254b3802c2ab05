// The latency histogram the runner records every engine call into: HDR-style log-linear buckets,
// 1024 per power of two (values within 1/1024 of the true one, as HDR's 3 significant digits),
// plain JavaScript over one Float64Array. It must never allocate while recording.
//
// Why not hdr-histogram-js: importing its bundle (and its WebAssembly) added ~16 MiB to the child
// process's RSS, which the bench reported as Sett's peak RSS (issue #14); Node's own
// perf_hooks.createHistogram() is small but costs ~90 ns a record, a few % of readmissing's time.

/** Linear sub-buckets per power of two, as a power of two. */
const SUB_BITS = 10
const SUB = 1 << SUB_BITS
/** Values up to 2^44 ns (~4.9 hours): the bucket of 2^44 is the last. */
const MAX_SHIFT = 44 - SUB_BITS

export class LatencyHistogram {
  private readonly counts = new Float64Array((MAX_SHIFT + 2) * SUB)
  count = 0
  private sum = 0
  max = 0

  /** Records `value` (an integer ≥ 1; larger than 2^44 counts as 2^44) `times` times. */
  record(value: number, times = 1): void {
    const v = Math.min(Math.max(1, Math.round(value)), 2 ** 44)
    this.counts[bucketOf(v)] += times
    this.count += times
    this.sum += v * times
    if (v > this.max) this.max = v
  }

  /** Empties it for the next workload (the runner keeps one: see runner.ts, reusedMonitors). */
  reset(): void {
    this.counts.fill(0)
    this.count = 0
    this.sum = 0
    this.max = 0
  }

  get mean(): number {
    return this.count === 0 ? 0 : this.sum / this.count
  }

  /** The largest value of the bucket that holds the `p`th percentile (0 < p ≤ 100); 0 when empty. */
  percentile(p: number): number {
    if (this.count === 0) return 0
    const want = Math.max(1, Math.ceil((p / 100) * this.count))
    let seen = 0
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]
      if (seen >= want) return Math.min(this.max, bucketTop(i))
    }
    return this.max
  }
}

/** Values below 2·SUB have a bucket each; above, a power of two 2^e is cut into SUB/2 … SUB-1 steps of 2^shift. */
function bucketOf(v: number): number {
  if (v < 2 * SUB) return v
  const e = v < 2 ** 32 ? 31 - Math.clz32(v) : Math.floor(Math.log2(v))
  const shift = e - SUB_BITS
  return shift * SUB + Math.floor(v / 2 ** shift)
}

function bucketTop(i: number): number {
  if (i < 2 * SUB) return i
  const shift = Math.floor(i / SUB) - 1
  return (i - shift * SUB + 1) * 2 ** shift - 1
}
