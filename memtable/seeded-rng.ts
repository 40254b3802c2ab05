// A seedable uniform random source (mulberry32) for tower heights and test data in tests.
// Not cryptographic and not for production heights (the memtable defaults to Math.random).

/** Returns a function yielding numbers in [0, 1), the same sequence for the same seed. */
export function seededRng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
