// The key registry of an encrypted database: its data keys, sealed under the master key in the
// file KEYREGISTRY. Data files are encrypted with a data key (named by id in each file's header),
// never with the master key, so changing the master key rewrites this one small file only.
//
// Format (version 1), all integers little-endian:
//
//   0     8  magic "sett-krg"
//   8     4  version u32 (= 1)
//   12    4  sealed length n (u32)
//   16    n  sealed: iv (12) | GCM tag (16) | AES-GCM ciphertext of the body; AAD = bytes 0..16
//   16+n  4  masked CRC-32 of bytes 0 .. 16+n
//   body  =  count u32 | entry × count
//   entry =  id u32 | createdAt u64 (ms since the epoch) | keyLength u8 | key
//
// The CRC is checked first, without the key: a mismatch is damage (CorruptionError). A whole file
// whose GCM tag fails was sealed under another key (EncryptionKeyError). The newest key (highest
// id) is the one new files use. Rewrites are crash-safe: KEYREGISTRY.tmp → fsync → rename →
// fsync the directory; a crash leaves the old registry or the new one.

import { checksum } from './checksum.js'
import { checkAesKey, gcmOpen, gcmSeal } from './cipher.js'
import { CorruptionError } from './errors.js'
import { KEY_REGISTRY_FILE, KEY_REGISTRY_TEMP_FILE, filePath } from './filenames.js'
import type { FileSystem } from './fs.js'
import { randomBytes } from 'node:crypto'

export const KEY_REGISTRY_MAGIC = new TextEncoder().encode('sett-krg')
export const KEY_REGISTRY_VERSION = 1
const PREFIX_SIZE = 16

export interface DataKey {
  id: number
  key: Uint8Array
  /** When the key was made, in ms since the epoch: rotation replaces it once it is old enough. */
  createdAt: number
}

/** The data keys, oldest first. Plain data, so it crosses postMessage to the compaction worker. */
export class KeyRegistry {
  readonly keys: readonly DataKey[]

  constructor(keys: readonly DataKey[]) {
    this.keys = [...keys].sort((a, b) => a.id - b.id)
  }

  /** The key new files are written with: the newest. requires: at least one key. */
  activeKey(): DataKey {
    return this.keys[this.keys.length - 1]
  }

  keyById(id: number): DataKey | undefined {
    for (const k of this.keys) if (k.id === id) return k
    return undefined
  }

  /** This registry plus a fresh random key of `length` bytes, which becomes the active one. */
  withNewKey(length: number, now: number): KeyRegistry {
    const id = this.keys.length === 0 ? 1 : this.activeKey().id + 1
    return new KeyRegistry([...this.keys, { id, key: new Uint8Array(randomBytes(length)), createdAt: now }])
  }
}

export function encodeKeyRegistry(registry: KeyRegistry, masterKey: Uint8Array): Uint8Array {
  checkAesKey(masterKey, 'master key')
  let bodySize = 4
  for (const k of registry.keys) bodySize += 13 + k.key.length
  const body = new Uint8Array(bodySize)
  const bv = new DataView(body.buffer)
  bv.setUint32(0, registry.keys.length, true)
  let o = 4
  for (const k of registry.keys) {
    bv.setUint32(o, k.id, true)
    bv.setBigUint64(o + 4, BigInt(k.createdAt), true)
    body[o + 12] = k.key.length
    body.set(k.key, o + 13)
    o += 13 + k.key.length
  }
  const sealedSize = 28 + bodySize
  const out = new Uint8Array(PREFIX_SIZE + sealedSize + 4)
  const v = new DataView(out.buffer)
  out.set(KEY_REGISTRY_MAGIC, 0)
  v.setUint32(8, KEY_REGISTRY_VERSION, true)
  v.setUint32(12, sealedSize, true)
  out.set(gcmSeal(masterKey, body, out.subarray(0, PREFIX_SIZE)), PREFIX_SIZE)
  v.setUint32(PREFIX_SIZE + sealedSize, checksum(out.subarray(0, PREFIX_SIZE + sealedSize)), true)
  return out
}

export function decodeKeyRegistry(bytes: Uint8Array, masterKey: Uint8Array, path: string): KeyRegistry {
  checkAesKey(masterKey, 'master key')
  const bad = (offset: number, why: string): CorruptionError => new CorruptionError(path, offset, `key registry: ${why}`)
  if (bytes.length < PREFIX_SIZE + 4) throw bad(0, `${bytes.length} bytes is too short`)
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.length)
  for (let i = 0; i < 8; i++) if (bytes[i] !== KEY_REGISTRY_MAGIC[i]) throw bad(0, 'bad magic')
  const sealedSize = v.getUint32(12, true)
  if (PREFIX_SIZE + sealedSize + 4 !== bytes.length) throw bad(12, `sealed length ${sealedSize} does not match the file`)
  const end = PREFIX_SIZE + sealedSize
  if (v.getUint32(end, true) !== checksum(bytes.subarray(0, end))) throw bad(end, 'checksum mismatch')
  const version = v.getUint32(8, true)
  if (version !== KEY_REGISTRY_VERSION) throw bad(8, `unknown version ${version}`)
  const body = gcmOpen(masterKey, bytes.subarray(PREFIX_SIZE, end), bytes.subarray(0, PREFIX_SIZE), path)
  // The body passed GCM, so a malformed one was written malformed: still reported, never trusted.
  const bv = new DataView(body.buffer, body.byteOffset, body.length)
  const keys: DataKey[] = []
  const count = body.length >= 4 ? bv.getUint32(0, true) : 0
  let o = 4
  for (let i = 0; i < count; i++) {
    if (o + 13 > body.length) throw bad(PREFIX_SIZE, 'body ends inside an entry')
    const length = body[o + 12]
    if (length !== 16 && length !== 24 && length !== 32) throw bad(PREFIX_SIZE, `data key of ${length} bytes`)
    if (o + 13 + length > body.length) throw bad(PREFIX_SIZE, 'body ends inside a key')
    keys.push({
      id: bv.getUint32(o, true),
      createdAt: Number(bv.getBigUint64(o + 4, true)),
      key: body.slice(o + 13, o + 13 + length),
    })
    o += 13 + length
  }
  if (o !== body.length || keys.length === 0) throw bad(PREFIX_SIZE, 'body does not hold its keys exactly')
  return new KeyRegistry(keys)
}

/** The registry in `dir`, or undefined when there is none (the database is not encrypted). */
export function readKeyRegistry(fs: FileSystem, dir: string, masterKey: Uint8Array): KeyRegistry | undefined {
  const path = filePath(dir, KEY_REGISTRY_FILE)
  if (!fs.exists(path)) return undefined
  return decodeKeyRegistry(fs.readFile(path), masterKey, path)
}

/** Replaces the registry in `dir` crash-safely; on return the new one is durable. */
export async function writeKeyRegistry(fs: FileSystem, dir: string, registry: KeyRegistry, masterKey: Uint8Array): Promise<void> {
  const bytes = encodeKeyRegistry(registry, masterKey)
  const tmp = filePath(dir, KEY_REGISTRY_TEMP_FILE)
  const f = fs.create(tmp)
  try {
    f.append(bytes)
    await f.sync()
  } finally {
    await f.close()
  }
  fs.rename(tmp, filePath(dir, KEY_REGISTRY_FILE))
  await fs.syncDir(dir)
}
