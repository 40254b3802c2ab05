// EncryptedFileSystem against a plaintext mirror: random appends and reads at random offsets give
// back what was written, the inner bytes never hold it, and torn or damaged headers are told apart.

import { createCipheriv, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { makeRng } from '../tests/support/rng.js'
import { ctrApply } from './cipher.js'
import { ENCRYPTION_HEADER_SIZE, EncryptedFileSystem, decodeEncryptionHeader, encodeEncryptionHeader } from './encrypted-fs.js'
import { CorruptionError, IOError } from './errors.js'
import { KeyRegistry } from './key-registry.js'
import { MemFileSystem } from './mem-fs.js'

function setup(keyLength = 32): { inner: MemFileSystem; fs: EncryptedFileSystem; registry: KeyRegistry } {
  const inner = new MemFileSystem()
  inner.mkdir('/d')
  const registry = new KeyRegistry([]).withNewKey(keyLength, 0)
  return { inner, fs: new EncryptedFileSystem(inner, registry), registry }
}

const SEED = 7

describe('EncryptedFileSystem', () => {
  it('reads a file whose header write never reached the disk (zeros, later bytes present) as empty; a damaged header stays corruption', () => {
    // Out-of-order writeback: create() writes the header, the next append lands, and only the
    // append reaches the disk. Found by the encrypted recovery-crash section (seed 1 and 3).
    const key = { id: 1, key: new Uint8Array(32), createdAt: 0 }
    const keys = { activeKey: () => key, keyById: (id: number) => (id === 1 ? key : undefined) }
    const size = ENCRYPTION_HEADER_SIZE + 16
    expect(decodeEncryptionHeader('/db/000008.wal', size, new Uint8Array(ENCRYPTION_HEADER_SIZE), keys)).toBeUndefined()
    const damaged = encodeEncryptionHeader(1, new Uint8Array(16).fill(7))
    damaged[20] ^= 0x10
    expect(() => decodeEncryptionHeader('/db/000008.wal', size, damaged, keys)).toThrow(CorruptionError)
  })


  it.each([16, 24, 32])('reads back random appends at random offsets (%i-byte key)', (keyLength) => {
    console.log(`encrypted-fs: seed ${SEED + keyLength}`)
    const rng = makeRng(SEED + keyLength)
    const { inner, fs } = setup(keyLength)
    const w = fs.create('/d/f')
    const mirror: number[] = []
    for (let i = 0; i < 200; i++) {
      const chunk = rng.bytes(rng.int(70))
      w.append(chunk)
      mirror.push(...chunk)
      expect(w.size).toBe(mirror.length)
    }
    const plain = Uint8Array.from(mirror)
    const r = fs.openRead('/d/f')
    expect(r.size).toBe(plain.length)
    for (let i = 0; i < 300; i++) {
      const offset = rng.int(plain.length + 10)
      const length = rng.int(100)
      expect(Buffer.from(r.read(offset, length)).equals(Buffer.from(plain.subarray(offset, offset + length)))).toBe(true)
    }
    expect(Buffer.from(fs.readFile('/d/f')).equals(Buffer.from(plain))).toBe(true)
    // The inner file is the header, then ciphertext of the same length as the plaintext.
    const raw = inner.readFile('/d/f')
    expect(raw.length).toBe(ENCRYPTION_HEADER_SIZE + plain.length)
    let same = 0
    for (let i = 0; i < plain.length; i++) if (raw[ENCRYPTION_HEADER_SIZE + i] === plain[i]) same++
    expect(same / plain.length).toBeLessThan(0.02)
  })

  it('gives two files with the same bytes different ciphertexts (a fresh nonce per file)', () => {
    const { inner, fs } = setup()
    const data = new Uint8Array(4096)
    for (const name of ['/d/a', '/d/b']) fs.create(name).append(data)
    expect(Buffer.from(inner.readFile('/d/a')).equals(Buffer.from(inner.readFile('/d/b')))).toBe(false)
    // ... and a rename keeps the header, so the bytes still decrypt under their new name.
    fs.rename('/d/a', '/d/c')
    expect(fs.readFile('/d/c')).toEqual(data)
  })

  it('keystream at an offset equals the tail of the keystream from 0 (seekable CTR)', () => {
    const key = new Uint8Array(randomBytes(16))
    const nonce = new Uint8Array(12).fill(3)
    const data = new Uint8Array(100).fill(0)
    const whole = ctrApply(key, nonce, 0, data)
    for (const offset of [1, 15, 16, 17, 63]) {
      expect(ctrApply(key, nonce, offset, data.subarray(offset))).toEqual(whole.subarray(offset))
    }
  })

  it('reads a file shorter than its header as empty (a crash remnant), a damaged header as corruption', () => {
    const { inner, fs } = setup()
    fs.create('/d/f').append(new Uint8Array(100).fill(1))
    inner.truncateFile('/d/f', 20)
    expect(fs.openRead('/d/f').size).toBe(0)
    const { inner: inner2, fs: fs2 } = setup()
    fs2.create('/d/g').append(new Uint8Array(100).fill(1))
    inner2.flipBit('/d/g', 8 * 20)
    expect(() => fs2.openRead('/d/g')).toThrow(CorruptionError)
  })

  it('refuses a file whose data key is not in the registry', () => {
    const { inner, fs } = setup()
    fs.create('/d/f').append(new Uint8Array(10))
    const other = new EncryptedFileSystem(inner, new KeyRegistry([]).withNewKey(32, 0).withNewKey(32, 0))
    other.create('/d/g').append(new Uint8Array(10))
    expect(() => fs.openRead('/d/g')).toThrow(/data key 2 is not in the key registry/)
  })

  it('truncates at logical offsets and takes no appends after reopening (no counter block reused)', async () => {
    const { fs } = setup()
    const w = fs.create('/d/f')
    w.append(new Uint8Array(64).fill(9))
    await w.sync()
    fs.truncate('/d/f', 40)
    const a = fs.openAppend('/d/f')
    expect(a.size).toBe(40)
    await a.sync()
    expect(() => a.append(new Uint8Array(1))).toThrow(IOError)
    expect(fs.readFile('/d/f')).toEqual(new Uint8Array(40).fill(9))
  })

  it('writes the header and counter blocks docs/format.md draws', () => {
    const nonce = Uint8Array.from({ length: 12 }, (_, i) => i)
    const header = Buffer.from(encodeEncryptionHeader(1, nonce)).toString('hex').match(/../g)!.join(' ')
    expect(header).toBe('73 65 74 74 2d 65 6e 63 01 00 00 00 01 00 00 00 00 01 02 03 04 05 06 07 08 09 0a 0b 79 a2 85 c0')
    // Byte i is XORed with AES(key, nonce || u32be(i / 16)) at byte i % 16: derived here with ECB.
    const key = new Uint8Array(16).fill(0x2b)
    const ecb = createCipheriv('aes-128-ecb', key, null).setAutoPadding(false)
    const counter = (block: number) => Buffer.concat([nonce, Buffer.from([0, 0, block >> 8, block & 0xff])])
    const stream = Buffer.concat([ecb.update(counter(0)), ecb.update(counter(1)), ecb.update(counter(2))])
    const plain = new Uint8Array(40).map((_, i) => i * 3)
    for (const offset of [0, 5, 16, 21]) {
      const got = ctrApply(key, nonce, offset, plain.subarray(offset))
      expect(Buffer.from(got)).toEqual(Buffer.from(plain.subarray(offset).map((b, i) => b ^ stream[offset + i])))
    }
  })
})
