// Seeded randomness for the workloads: a small fast generator (sfc32), YCSB's zipfian generator
// (Gray et al., "Quickly generating billion-record synthetic databases", SIGMOD 1994), its scrambled
// variant (FNV-hashed so the hot keys are spread over the key space) and its "latest" variant.
// Every workload draws from one of these, so a --seed reproduces the same key sequence in every
// engine's child process.

const TWO_32 = 4294967296

/** sfc32 (Chris Doty-Humphrey's small fast counting generator): 128-bit state, ~5 ns a draw. */
export class Rng {
  private a: number
  private b: number
  private c: number
  private d: number

  constructor(seed: number) {
    // splitmix32 spreads a small seed over the whole state; the warm-up discards the early draws.
    let s = seed >>> 0
    const mix = () => {
      s = (s + 0x9e3779b9) >>> 0
      let z = s
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
      return (z ^ (z >>> 16)) >>> 0
    }
    this.a = mix()
    this.b = mix()
    this.c = mix()
    this.d = 1
    for (let i = 0; i < 15; i++) this.nextU32()
  }

  nextU32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0
    this.d = (this.d + 1) | 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) | 0
    this.c = (this.c << 21) | (this.c >>> 11)
    this.c = (this.c + t) | 0
    return t >>> 0
  }

  /** A double in [0, 1) with 53 random bits. */
  next(): number {
    return ((this.nextU32() >>> 5) * 67108864 + (this.nextU32() >>> 6)) / 9007199254740992
  }

  /** An integer in [0, n). */
  nextInt(n: number): number {
    return Math.floor(this.next() * n)
  }

  /** An integer in [lo, hi], both included. */
  between(lo: number, hi: number): number {
    return lo + this.nextInt(hi - lo + 1)
  }
}

/** The array shuffledIndices() returned last, for the next call of the same length. */
let lastOrder: Uint32Array | undefined

/**
 * Fisher–Yates: a uniformly random order of 0 … n-1, in the array the last call of the same n
 * returned (its order is overwritten): a fresh 4 MB array per fill, freed after it, raised glibc's
 * malloc thresholds to 4 MB for the rest of the child (engine/memory-budget.ts, GLIBC_THRESHOLDS),
 * so the harness's own garbage showed up in the engine's peak RSS.
 */
export function shuffledIndices(n: number, rng: Rng): Uint32Array {
  const a = lastOrder?.length === n ? lastOrder : new Uint32Array(n)
  lastOrder = a
  for (let i = 0; i < n; i++) a[i] = i
  for (let i = n - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1)
    const t = a[i]
    a[i] = a[j]
    a[j] = t
  }
  return a
}

/** YCSB's default skew: the k-th most popular item is drawn with probability ∝ 1/k^0.99. */
export const ZIPFIAN_CONSTANT = 0.99

/** Σ 1/(i+1)^theta for i in [from, to), added to `initial` (so zeta can be extended as items grow). */
export function zeta(from: number, to: number, theta: number, initial = 0): number {
  let sum = initial
  for (let i = from; i < to; i++) sum += 1 / Math.pow(i + 1, theta)
  return sum
}

/**
 * Draws 0 … items-1, item 0 the most popular. Gray et al.'s inverse-CDF approximation, as YCSB's
 * ZipfianGenerator: exact for items 0 and 1, close for the rest. The item count may grow between
 * draws (YCSB's "latest" distribution needs that); zeta is then extended, not recomputed.
 */
export class ZipfianGenerator {
  private items: number
  private readonly theta: number
  private readonly alpha: number
  private readonly zeta2theta: number
  private zetan: number
  private eta: number

  /** `zetan` may be given when known (YCSB precomputes it for its 10^10-item scrambled generator). */
  constructor(items: number, theta = ZIPFIAN_CONSTANT, zetan?: number) {
    if (!(items >= 1)) throw new Error(`zipfian needs at least one item, got ${items}`)
    this.items = items
    this.theta = theta
    this.alpha = 1 / (1 - theta)
    this.zeta2theta = zeta(0, 2, theta)
    this.zetan = zetan ?? zeta(0, items, theta)
    this.eta = this.computeEta()
  }

  private computeEta(): number {
    return (1 - Math.pow(2 / this.items, 1 - this.theta)) / (1 - this.zeta2theta / this.zetan)
  }

  get itemCount(): number {
    return this.items
  }

  /** Grows the item count (never shrinks it: YCSB does not either, the zeta sum would be recomputed). */
  grow(items: number): void {
    if (items <= this.items) return
    this.zetan = zeta(this.items, items, this.theta, this.zetan)
    this.items = items
    this.eta = this.computeEta()
  }

  next(rng: Rng): number {
    const u = rng.next()
    const uz = u * this.zetan
    if (uz < 1) return 0
    if (uz < 1 + Math.pow(0.5, this.theta)) return 1
    const v = Math.floor(this.items * Math.pow(this.eta * u - this.eta + 1, this.alpha))
    return v < this.items ? v : this.items - 1
  }
}

/** YCSB's ScrambledZipfianGenerator draws from 10^10 items whose zeta it precomputes. */
const SCRAMBLE_ITEMS = 10_000_000_000
const SCRAMBLE_ZETAN = 26.46902820178302

/**
 * YCSB's scrambled zipfian: a zipfian draw over 10^10 items, FNV-hashed, modulo the key count. The
 * popularity curve is the zipfian one but the hot keys sit all over the key space instead of at its
 * start, so they do not all share one block or one table.
 */
export class ScrambledZipfianGenerator {
  private readonly gen = new ZipfianGenerator(SCRAMBLE_ITEMS, ZIPFIAN_CONSTANT, SCRAMBLE_ZETAN)
  readonly items: number

  constructor(items: number) {
    this.items = items
  }

  next(rng: Rng): number {
    return fnvHash64Mod(this.gen.next(rng), this.items)
  }
}

/**
 * YCSB's SkewedLatestGenerator: the most recently inserted key is the most popular, then the one
 * before it, and so on (zipfian over the distance from the newest).
 */
export class LatestGenerator {
  private readonly gen: ZipfianGenerator

  constructor(count: number) {
    this.gen = new ZipfianGenerator(count)
  }

  /** A key index in [0, count), where count is the number of keys inserted so far. */
  next(rng: Rng, count: number): number {
    this.gen.grow(count)
    const back = this.gen.next(rng)
    return back < count ? count - 1 - back : 0
  }
}

/**
 * YCSB's Utils.fnvhash64 (FNV-1a over the 8 little-endian bytes of a long, then Math.abs), modulo
 * `m`. Done in 32-bit halves: BigInt costs ~1 µs a call, this ~30 ns. `value` must be a
 * non-negative safe integer; `m` below 2^26 takes the fast path, larger falls back to BigInt.
 */
export function fnvHash64Mod(value: number, m: number): number {
  if (m >= 67_108_864) return Number(fnvHash64BigInt(BigInt(value)) % BigInt(m))
  let hi = 0xcbf29ce4
  let lo = 0x84222325
  let vlo = value >>> 0
  let vhi = Math.floor(value / TWO_32) >>> 0
  for (let i = 0; i < 8; i++) {
    let octet: number
    if (i < 4) {
      octet = vlo & 0xff
      vlo >>>= 8
    } else {
      octet = vhi & 0xff
      vhi >>>= 8
    }
    lo = (lo ^ octet) >>> 0
    // (hi, lo) *= 0x100000001b3 modulo 2^64; every partial product stays below 2^42, exact in a double.
    const p = lo * 0x1b3
    const carry = Math.floor(p / TWO_32)
    hi = (hi * 0x1b3 + carry + lo * 0x100) >>> 0
    lo = p >>> 0
  }
  if (hi & 0x80000000) {
    // Math.abs of a negative long: two's complement negation.
    hi = ~hi >>> 0
    lo = ~lo >>> 0
    lo = (lo + 1) >>> 0
    if (lo === 0) hi = (hi + 1) >>> 0
  }
  return ((hi % m) * (TWO_32 % m) + lo) % m
}

/** The same with BigInt: the reference the fast path is tested against. */
export function fnvHash64BigInt(value: bigint): bigint {
  const mask = (1n << 64n) - 1n
  let h = 0xcbf29ce484222325n
  let v = value
  for (let i = 0; i < 8; i++) {
    h ^= v & 0xffn
    v >>= 8n
    h = (h * 1099511628211n) & mask
  }
  if (h & (1n << 63n)) h = (1n << 64n) - h
  return h
}
