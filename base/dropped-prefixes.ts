// Dropped prefixes: what dropPrefix() and dropAll() leave behind. A drop is a (prefix, seq) pair
// recorded in the manifest: every entry whose key starts with the prefix and whose sequence
// number is at most seq is gone, for every reader, snapshots included. Reads filter by it at
// once; compactions and flushes leave such entries out of their outputs, so the space comes back
// as the LSM is rewritten, without rewriting anything else. An empty prefix drops everything.

import { compareBytes } from './internal-key.js'

export interface DroppedPrefix {
  prefix: Uint8Array
  /** Entries with seq <= this are dropped. */
  seq: number
}

export function hasPrefix(key: Uint8Array, prefix: Uint8Array): boolean {
  if (key.length < prefix.length) return false
  for (let i = 0; i < prefix.length; i++) if (key[i] !== prefix[i]) return false
  return true
}

/** Whether any drop covers the entry (key, seq). Drops are few: a linear scan is the fast way. */
export function isDropped(drops: readonly DroppedPrefix[], key: Uint8Array, seq: number): boolean {
  for (let i = 0; i < drops.length; i++) {
    const d = drops[i]
    if (seq <= d.seq && hasPrefix(key, d.prefix)) return true
  }
  return false
}

/** Whether every key in [smallest, largest] starts with `prefix`. */
export function rangeWithinPrefix(prefix: Uint8Array, smallest: Uint8Array, largest: Uint8Array): boolean {
  return hasPrefix(smallest, prefix) && hasPrefix(largest, prefix)
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

/** Whether some key in [smallest, largest] may start with `prefix`. */
export function rangeMayHavePrefix(prefix: Uint8Array, smallest: Uint8Array, largest: Uint8Array): boolean {
  if (compareBytes(largest, prefix) < 0) return false
  const after = prefixSuccessor(prefix)
  return after === undefined || compareBytes(smallest, after) < 0
}

/**
 * Adds a drop, keeping the list minimal: a drop is redundant when another drop with a shorter or
 * equal prefix of it and a seq at least as high covers everything it covers.
 */
export function addDrop(drops: readonly DroppedPrefix[], drop: DroppedPrefix): DroppedPrefix[] {
  const covers = (a: DroppedPrefix, b: DroppedPrefix) => a.seq >= b.seq && hasPrefix(b.prefix, a.prefix)
  if (drops.some((d) => covers(d, drop))) return drops.slice()
  const out = drops.filter((d) => !covers(drop, d))
  out.push(drop)
  out.sort((a, b) => compareBytes(a.prefix, b.prefix) || a.seq - b.seq)
  return out
}
