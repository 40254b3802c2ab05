// A small seeded random generator for tests (mulberry32): the same seed gives the same run.

export interface Rng {
  (): number
  int(n: number): number
  pick<T>(items: readonly T[]): T
  bytes(n: number): Uint8Array
  chance(p: number): boolean
}

export function makeRng(seed: number): Rng {
  let s = seed >>> 0
  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const rng = next as Rng
  rng.int = (n) => Math.floor(next() * n)
  rng.pick = (items) => items[Math.floor(next() * items.length)]
  rng.bytes = (n) => {
    const b = new Uint8Array(n)
    for (let i = 0; i < n; i++) b[i] = Math.floor(next() * 256)
    return b
  }
  rng.chance = (p) => next() < p
  return rng
}

/** The seed for a randomized test: SETT_SEED when set, else a fresh one. Print it on failure. */
export function testSeed(): number {
  const env = process.env.SETT_SEED
  return env !== undefined ? Number(env) : Math.floor(Math.random() * 2 ** 31)
}
