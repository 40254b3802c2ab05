// The bytes SettLevel hands Sett: every key gets one tag byte in front, and data coming back is
// turned into the format abstract-level asked for ('buffer', 'view' or 'utf8').
//
// Why the tag: abstract-level requires empty keys ('' and zero-length buffers) to work, and Sett
// refuses them (a key is 1 byte to 64 KiB). A constant first byte keeps the order of keys exactly
// (every stored key shares it), makes '' a one-byte key, and costs one byte per key on disk,
// which a block's prefix compression shares away. So a database written through SettLevel holds
// tagged keys: read it through SettLevel, not through plain open().

import { InvalidArgumentError, MAX_KEY_SIZE } from '../engine/index.js'

/** The first byte of every key SettLevel stores. Other tag values are free for future use. */
export const KEY_TAG = 0x00

/** Iterating with this as Sett's `prefix` visits exactly the keys SettLevel wrote. */
export const TAGGED_KEYS = Uint8Array.of(KEY_TAG)

/** Longest key (in bytes) a caller may write: Sett's limit less the tag. */
export const MAX_LEVEL_KEY_SIZE = MAX_KEY_SIZE - 1

export type Format = 'buffer' | 'view' | 'utf8'

/** A key, range bound or seek target in abstract-level's encoded form, tagged for Sett. */
export function toStoreKey(key: string | Uint8Array): Buffer {
  if (typeof key === 'string') {
    const out = Buffer.allocUnsafe(1 + Buffer.byteLength(key))
    out[0] = KEY_TAG
    out.write(key, 1, 'utf8')
    return out
  }
  if (!(key instanceof Uint8Array)) throw new InvalidArgumentError(`key must be a string or Uint8Array, got ${typeof key}`)
  const out = Buffer.allocUnsafe(1 + key.byteLength)
  out[0] = KEY_TAG
  out.set(key, 1)
  return out
}

/** A stored key back in the caller's format; 'buffer' and 'view' share the key's memory. */
export function fromStoreKey(stored: Buffer, format: Format): string | Buffer | Uint8Array {
  if (format === 'utf8') return stored.toString('utf8', 1)
  if (format === 'view') return new Uint8Array(stored.buffer, stored.byteOffset + 1, stored.length - 1)
  return stored.subarray(1)
}

/** A value from Sett (a Buffer the caller owns) in the caller's format. */
export function fromStoreValue(value: Buffer, format: Format): string | Buffer | Uint8Array {
  if (format === 'utf8') return value.toString('utf8')
  if (format === 'view') return new Uint8Array(value.buffer, value.byteOffset, value.length)
  return value
}
