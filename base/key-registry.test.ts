// The key registry's codec: round trip, every flipped bit is reported as damage (never taken for
// a wrong key, never decoded), a wrong master key is an EncryptionKeyError, rewrites are atomic.

import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { CorruptionError, EncryptionKeyError, InvalidArgumentError } from './errors.js'
import { KEY_REGISTRY_FILE } from './filenames.js'
import { KeyRegistry, decodeKeyRegistry, encodeKeyRegistry, readKeyRegistry, writeKeyRegistry } from './key-registry.js'
import { MemFileSystem } from './mem-fs.js'

const master = (n = 32): Uint8Array => new Uint8Array(randomBytes(n))

describe('key registry', () => {
  it('round-trips its keys, the newest being active', () => {
    const m = master()
    const reg = new KeyRegistry([]).withNewKey(32, 1000).withNewKey(16, 2000).withNewKey(24, 3000)
    const back = decodeKeyRegistry(encodeKeyRegistry(reg, m), m, '/KEYREGISTRY')
    expect(back.keys).toEqual(reg.keys)
    expect(back.activeKey().id).toBe(3)
    expect(back.activeKey().createdAt).toBe(3000)
    expect(back.keyById(2)?.key.length).toBe(16)
  })

  it('reports every flipped bit as corruption', () => {
    const m = master(16)
    const bytes = encodeKeyRegistry(new KeyRegistry([]).withNewKey(16, 5), m)
    for (let bit = 0; bit < bytes.length * 8; bit++) {
      const damaged = bytes.slice()
      damaged[bit >> 3] ^= 1 << (bit & 7)
      expect(() => decodeKeyRegistry(damaged, m, '/r'), `bit ${bit}`).toThrow(CorruptionError)
    }
    for (let n = 0; n < bytes.length; n++) expect(() => decodeKeyRegistry(bytes.subarray(0, n), m, '/r')).toThrow(CorruptionError)
  })

  it('tells a wrong master key apart from damage', () => {
    const bytes = encodeKeyRegistry(new KeyRegistry([]).withNewKey(32, 5), master())
    expect(() => decodeKeyRegistry(bytes, master(), '/r')).toThrow(EncryptionKeyError)
    expect(() => decodeKeyRegistry(bytes, master(16), '/r')).toThrow(EncryptionKeyError)
    expect(() => decodeKeyRegistry(bytes, new Uint8Array(5), '/r')).toThrow(InvalidArgumentError)
  })

  it('is replaced atomically: a crash at any step leaves the old registry or the new one', async () => {
    const m = master()
    const first = new KeyRegistry([]).withNewKey(32, 1)
    const second = first.withNewKey(32, 2)
    const setup = new MemFileSystem()
    setup.mkdir('/d')
    await writeKeyRegistry(setup, '/d', first, m)
    let points = 0
    for (let k = 1; k < 20; k++) {
      const fs = setup.crash()
      fs.crashAfter(k)
      let finished = true
      try {
        await writeKeyRegistry(fs, '/d', second, m)
      } catch {
        finished = false
      }
      const after = fs.crash({ seed: k, keepUnsyncedNameOps: k % 2 === 0 })
      const got = readKeyRegistry(after, '/d', m)!
      expect([1, 2]).toContain(got.keys.length)
      if (finished) expect(got.keys.length).toBe(2)
      if (!finished) points++
    }
    expect(points).toBeGreaterThan(3)
    expect(setup.exists(`/d/${KEY_REGISTRY_FILE}`)).toBe(true)
  })
})
