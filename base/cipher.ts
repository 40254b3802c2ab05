// The ciphers of encryption at rest, on node:crypto only: AES-CTR for data files (seekable, so any
// byte range of a file can be read or appended on its own) and AES-GCM for the small key registry
// (authenticated, so a wrong master key is told apart from damage).
//
// Counter blocks for data files: nonce (12 bytes, random per file) || block index (u32 big-endian),
// where block index = byte offset / 16. OpenSSL's CTR increments the whole 128-bit block, and a
// file is capped at 2^32 blocks (64 GiB), so the increment never reaches the nonce: within a file
// no counter block repeats, and across files the random 96-bit nonce keeps them apart.

import { type CipherGCMTypes, createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { CorruptionError, EncryptionKeyError, InvalidArgumentError } from './errors.js'

export const CTR_NONCE_SIZE = 12
/** Bytes a data file may hold under one nonce: 2^32 AES blocks of 16 bytes. */
export const CTR_MAX_FILE_BYTES = 2 ** 32 * 16
export const GCM_IV_SIZE = 12
export const GCM_TAG_SIZE = 16

const ZERO_BLOCK = new Uint8Array(16)

/** Checks an AES key's type and length (16, 24 or 32 bytes: AES-128, -192, -256). */
export function checkAesKey(key: unknown, what: string): Uint8Array {
  if (!(key instanceof Uint8Array)) throw new InvalidArgumentError(`${what} must be a Uint8Array (or Buffer)`)
  if (key.length !== 16 && key.length !== 24 && key.length !== 32) {
    throw new InvalidArgumentError(`${what} must be 16, 24 or 32 bytes (AES-128/192/256), got ${key.length}`)
  }
  return key
}

function aesCtr(key: Uint8Array): string {
  return `aes-${key.length * 8}-ctr`
}

function aesGcm(key: Uint8Array): CipherGCMTypes {
  return `aes-${key.length * 8}-gcm` as CipherGCMTypes
}

export function randomNonce(): Uint8Array {
  return new Uint8Array(randomBytes(CTR_NONCE_SIZE))
}

/**
 * XORs `data` with the keystream of (key, nonce) starting at byte `offset` of the file, into a new
 * array: encryption and decryption are the same operation. requires: offset + data.length ≤
 * CTR_MAX_FILE_BYTES (the caller checks and reports).
 */
export function ctrApply(key: Uint8Array, nonce: Uint8Array, offset: number, data: Uint8Array): Uint8Array {
  const block = Math.floor(offset / 16)
  const iv = new Uint8Array(16)
  iv.set(nonce, 0)
  new DataView(iv.buffer).setUint32(12, block, false)
  const c = createCipheriv(aesCtr(key), key, iv)
  const skip = offset - block * 16
  if (skip > 0) c.update(ZERO_BLOCK.subarray(0, skip))
  const out = c.update(data)
  return new Uint8Array(out.buffer, out.byteOffset, out.length)
}

/** AES-GCM: returns iv || tag || ciphertext. `aad` is authenticated, not encrypted. */
export function gcmSeal(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  const iv = randomBytes(GCM_IV_SIZE)
  const c = createCipheriv(aesGcm(key), key, iv)
  c.setAAD(aad)
  const body = Buffer.concat([c.update(plaintext), c.final()])
  return new Uint8Array(Buffer.concat([iv, c.getAuthTag(), body]))
}

/**
 * Opens what gcmSeal made. A failed tag check means the key is not the one that sealed it (the
 * caller has already ruled out damage with a checksum): EncryptionKeyError.
 */
export function gcmOpen(key: Uint8Array, sealed: Uint8Array, aad: Uint8Array, path: string): Uint8Array {
  if (sealed.length < GCM_IV_SIZE + GCM_TAG_SIZE) throw new CorruptionError(path, 0, 'sealed data is too short')
  const iv = sealed.subarray(0, GCM_IV_SIZE)
  const tag = sealed.subarray(GCM_IV_SIZE, GCM_IV_SIZE + GCM_TAG_SIZE)
  const d = createDecipheriv(aesGcm(key), key, iv)
  d.setAAD(aad)
  d.setAuthTag(tag)
  const body = d.update(sealed.subarray(GCM_IV_SIZE + GCM_TAG_SIZE))
  try {
    d.final()
  } catch {
    throw new EncryptionKeyError(`${path} cannot be decrypted with this key: wrong encryption key`)
  }
  return new Uint8Array(body.buffer, body.byteOffset, body.length)
}
