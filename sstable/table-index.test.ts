// TableIndex.find against a plain binary search over whole internal keys, on key sets built to
// defeat its shortcuts: long shared prefixes, keys that end inside or right after the prefix,
// zero bytes (which look like a word's padding), runs of keys whose words are equal, a last key
// shortened to a successor, and one- and zero-block indexes.

import { describe, expect, it } from 'vitest'
import { compareInternal, encodeInternalKey, Kind, MAX_SEQ } from '../base/internal-key.js'
import { seededRandom, type Rng } from '../tests/support/table-data.js'
import { TableIndex } from './table-index.js'

interface IndexKey {
  userKey: Uint8Array
  seq: number
  kind: number
}

function compareIndexKey(a: IndexKey, b: IndexKey): number {
  return compareInternal(a.userKey, a.seq, a.kind, b.userKey, b.seq, b.kind)
}

function buildIndex(keys: IndexKey[]): TableIndex {
  const encoded = keys.map((k) => encodeInternalKey(k.userKey, k.seq, k.kind))
  const starts = new Uint32Array(keys.length + 1)
  for (let i = 0; i < keys.length; i++) starts[i + 1] = starts[i] + encoded[i].length
  const bytes = new Uint8Array(starts[keys.length])
  encoded.forEach((e, i) => bytes.set(e, starts[i]))
  return new TableIndex(bytes, starts, keys.length)
}

/** The first key at or after (userKey, seq, 0xff), by whole-key comparisons. */
function modelFind(keys: IndexKey[], userKey: Uint8Array, seq: number): number {
  const target = { userKey, seq, kind: 0xff }
  let i = 0
  while (i < keys.length && compareIndexKey(keys[i], target) < 0) i++
  return i
}

const ALPHABET = [0x00, 0x01, 0x30, 0x31, 0x32, 0x7f, 0xfe, 0xff]

/** A key of `prefix` plus 0..10 bytes drawn from a small alphabet, so that ties are common. */
function keyWithPrefix(rng: Rng, prefix: Uint8Array): Uint8Array {
  const tail = Array.from({ length: rng.int(11) }, () => ALPHABET[rng.int(ALPHABET.length)])
  return Uint8Array.from([...prefix, ...tail])
}

function sortedKeys(rng: Rng, prefix: Uint8Array, n: number): IndexKey[] {
  const keys: IndexKey[] = []
  for (let i = 0; i < n; i++) {
    const r = rng()
    keys.push({ userKey: keyWithPrefix(rng, prefix), seq: r < 0.3 ? MAX_SEQ : rng.int(1000), kind: r < 0.3 ? 0xff : rng.int(5) })
  }
  keys.sort(compareIndexKey)
  return keys.filter((k, i) => i === 0 || compareIndexKey(keys[i - 1], k) !== 0)
}

/** Targets near the keys (prefixes and extensions of them) and elsewhere. */
function targets(rng: Rng, keys: IndexKey[], prefix: Uint8Array): { userKey: Uint8Array; seq: number }[] {
  const out: { userKey: Uint8Array; seq: number }[] = [
    { userKey: new Uint8Array(0), seq: MAX_SEQ },
    { userKey: prefix.subarray(0, prefix.length >> 1), seq: MAX_SEQ },
    { userKey: Uint8Array.of(0xff, 0xff), seq: 0 },
  ]
  for (let i = 0; i < 300; i++) {
    const r = rng()
    const seq = rng() < 0.3 ? MAX_SEQ : rng.int(1000)
    if (keys.length > 0 && r < 0.5) {
      const k = keys[rng.int(keys.length)].userKey
      const cut = rng() < 0.5 ? k : k.subarray(0, rng.int(k.length + 1))
      const ext = rng() < 0.3 ? Uint8Array.from([...cut, ALPHABET[rng.int(ALPHABET.length)]]) : cut
      out.push({ userKey: ext, seq })
    } else if (r < 0.8) {
      out.push({ userKey: keyWithPrefix(rng, prefix), seq })
    } else {
      out.push({ userKey: keyWithPrefix(rng, prefix.subarray(0, rng.int(prefix.length + 1))), seq })
    }
  }
  return out
}

describe('TableIndex.find', () => {
  it('agrees with whole-key comparisons on awkward key sets', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const rng = seededRandom(seed)
      const prefixLength = [0, 1, 3, 10][seed % 4]
      const prefix = Uint8Array.from({ length: prefixLength }, () => ALPHABET[rng.int(ALPHABET.length)])
      const keys = sortedKeys(rng, prefix, [0, 1, 2, 5, 40, 300][seed % 6])
      // As the table builder does, sometimes shorten the last key to a successor beyond the prefix.
      if (keys.length > 0 && rng() < 0.5 && prefix.length > 0 && prefix[0] < 0xff) {
        const successor = { userKey: Uint8Array.of(prefix[0] + 1), seq: MAX_SEQ, kind: 0xff }
        keys.push(successor)
      }
      const index = buildIndex(keys)
      for (const t of targets(rng, keys, prefix)) {
        const why = `seed ${seed}, target ${Buffer.from(t.userKey).toString('hex')}@${t.seq}`
        expect(index.find(t.userKey, t.seq * 256 + 0xff), why).toBe(modelFind(keys, t.userKey, t.seq))
      }
    }
  })

  it('finds decimal keys that share their leading zeros', () => {
    const keys: IndexKey[] = []
    for (let i = 0; i < 2000; i += 7) keys.push({ userKey: Buffer.from(`k${String(i).padStart(15, '0')}`), seq: 5, kind: Kind.Value })
    keys.push({ userKey: Buffer.from('l'), seq: MAX_SEQ, kind: 0xff })
    const index = buildIndex(keys)
    for (let i = 0; i < 2100; i++) {
      const userKey = Buffer.from(`k${String(i).padStart(15, '0')}`)
      for (const seq of [MAX_SEQ, 5, 4]) expect(index.find(userKey, seq * 256 + 0xff)).toBe(modelFind(keys, userKey, seq))
    }
  })
})
