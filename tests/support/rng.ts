// Seeded random helpers for tests, over base/random.ts: the same seed gives the same run.

import { mulberry32 } from '../../base/random.js'

export interface Rng {
  (): number
  int(n: number): number
  pick<T>(items: readonly T[]): T
  bytes(n: number): Uint8Array
  chance(p: number): boolean
}

export function makeRng(seed: number): Rng {
  const next = mulberry32(seed)
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
