// Hashes of key bytes in pure TypeScript: murmur3 x86 32-bit, and a pair of them under two fixed
// seeds for double hashing in bloom filters. A native or wasm call costs more than the hash for
// the short keys this is for (TOOLCHAIN.md: ~14 ns per 16-byte key here, 50–120 ns per native call).
// The seeds are part of the table filter format: never change them.

export const SEED1 = 0xbc9f1d34
export const SEED2 = 0x9747b28c

// murmur3Pair writes its two results here rather than allocating an object per key.
export let hashOut1 = 0
export let hashOut2 = 0

/** murmur3 x86 32-bit of `key` under SEED1 and SEED2, into hashOut1/hashOut2 (unsigned). */
export function murmur3Pair(key: Uint8Array): void {
  murmur3PairAt(key, 0, key.length)
}

/**
 * murmur3Pair of buf[start, start + n) without a view of it: recovery hashes the keys of a whole
 * WAL in place (memtable/key-filter.ts addAt).
 */
export function murmur3PairAt(buf: Uint8Array, start: number, n: number): void {
  const c1 = 0xcc9e2d51
  const c2 = 0x1b873593
  let h1 = SEED1 | 0
  let h2 = SEED2 | 0
  const blocks = start + (n & ~3)
  let i = start
  for (; i < blocks; i += 4) {
    let k = buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24)
    k = Math.imul(k, c1)
    k = (k << 15) | (k >>> 17)
    k = Math.imul(k, c2)
    h1 ^= k
    h1 = (h1 << 13) | (h1 >>> 19)
    h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0
    h2 ^= k
    h2 = (h2 << 13) | (h2 >>> 19)
    h2 = (Math.imul(h2, 5) + 0xe6546b64) | 0
  }
  const tail = n & 3
  if (tail !== 0) {
    let k = buf[i]
    if (tail > 1) k |= buf[i + 1] << 8
    if (tail > 2) k |= buf[i + 2] << 16
    k = Math.imul(k, c1)
    k = (k << 15) | (k >>> 17)
    k = Math.imul(k, c2)
    h1 ^= k
    h2 ^= k
  }
  hashOut1 = fmix(h1 ^ n)
  hashOut2 = fmix(h2 ^ n)
}

function fmix(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** murmur3 x86 32-bit with an arbitrary seed, for tests against published vectors. */
export function murmur3(key: Uint8Array, seed: number): number {
  const c1 = 0xcc9e2d51
  const c2 = 0x1b873593
  let h = seed | 0
  const n = key.length
  let i = 0
  for (; i + 4 <= n; i += 4) {
    let k = key[i] | (key[i + 1] << 8) | (key[i + 2] << 16) | (key[i + 3] << 24)
    k = Math.imul((Math.imul(k, c1) << 15) | (Math.imul(k, c1) >>> 17), c2)
    h ^= k
    h = (Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64) | 0
  }
  let k = 0
  for (let j = n - 1; j >= i; j--) k = (k << 8) | key[j]
  if (n > i) {
    k = Math.imul(k, c1)
    h ^= Math.imul((k << 15) | (k >>> 17), c2)
  }
  return fmix(h ^ n)
}
