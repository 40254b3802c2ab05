// EncryptedFileSystem: a FileSystem that encrypts every file's bytes on their way to an inner one,
// so everything above it (WAL, tables, value log, manifest, CURRENT) is written encrypted without
// knowing it. Each format's own checksums are computed over the plaintext as before; they stay
// verifiable with the key, and a flipped ciphertext bit flips the same plaintext bit (CTR), so
// damage is still caught by the checksum of the block or record it lands in.
//
// Each file on the inner file system is a 32-byte encryption header, then the file's bytes
// encrypted with AES-CTR under the data key the header names (docs/format.md, "Encryption"):
//
//   0   8  magic "sett-enc"        12  4  data key id u32 LE
//   8   2  version u16 LE (= 1)    16 12  nonce, random per file
//   10  2  reserved (0)            28  4  masked CRC-32 of bytes 0..28
//
// Logical byte i of the file is physical byte 32 + i, encrypted with the keystream at offset i
// (base/cipher.ts): the counter block is nonce || i/16, so within a file no counter block is used
// twice, and across files a fresh 96-bit random nonce per create makes a shared one negligible (a
// rename keeps the header).
// Compression happens above (table blocks are compressed, then the whole block is encrypted).
//
// Not supported, on purpose: appending to a file reopened with openAppend. After a truncate that
// would encrypt new bytes with counter blocks already used for the cut ones; the engine reopens a
// file only to sync a cut (value-log recovery), and a new file is started for new bytes.
// LOCK is the inner file system's (a PID, not data); the key registry is written to the inner one.

import { checksum } from './checksum.js'
import { CTR_MAX_FILE_BYTES, CTR_NONCE_SIZE, ctrApply, randomNonce } from './cipher.js'
import { CorruptionError, IOError } from './errors.js'
import { parseFileName } from './filenames.js'
import { ForwardingFileSystem } from './forwarding-fs.js'
import type { CreateOptions, FileSystem, ReadableFile, WritableFile } from './fs.js'
import type { DataKey } from './key-registry.js'

export const ENCRYPTION_MAGIC = new TextEncoder().encode('sett-enc')
export const ENCRYPTION_VERSION = 1
export const ENCRYPTION_HEADER_SIZE = 32

/**
 * A torn header can hold garbage in its last few bytes (a torn sector, ≤ 8 bytes in
 * MemFileSystem's model). A file too short to hold a header plus that much is a crash remnant
 * read as empty, as every format above reads a file too short for its own header; a longer one
 * with a bad header is damage.
 */
const TORN_HEADER_SLACK = 8

/** Where the keys come from: the engine's registry (which may rotate), or a fixed set in a worker. */
export interface DataKeySource {
  /** The key new files are written with. */
  activeKey(): DataKey
  keyById(id: number): DataKey | undefined
}

export interface FileCipher {
  key: Uint8Array
  nonce: Uint8Array
}

export function encodeEncryptionHeader(keyId: number, nonce: Uint8Array): Uint8Array {
  const h = new Uint8Array(ENCRYPTION_HEADER_SIZE)
  const v = new DataView(h.buffer)
  h.set(ENCRYPTION_MAGIC, 0)
  v.setUint16(8, ENCRYPTION_VERSION, true)
  v.setUint32(12, keyId, true)
  h.set(nonce, 16)
  v.setUint32(28, checksum(h.subarray(0, 28)), true)
  return h
}

/** True when `bytes` begin like an encrypted file (used to name the problem of a keyless open). */
export function looksEncrypted(bytes: Uint8Array): boolean {
  if (bytes.length < ENCRYPTION_MAGIC.length) return false
  for (let i = 0; i < ENCRYPTION_MAGIC.length; i++) if (bytes[i] !== ENCRYPTION_MAGIC[i]) return false
  return true
}

/**
 * The cipher of the file whose physical size is `size` and whose first bytes are `header`;
 * undefined for a crash remnant too short to hold anything, or whose header never reached the
 * disk (read as an empty file).
 */
export function decodeEncryptionHeader(path: string, size: number, header: Uint8Array, keys: DataKeySource): FileCipher | undefined {
  if (size < ENCRYPTION_HEADER_SIZE) return undefined
  const v = new DataView(header.buffer, header.byteOffset, header.length)
  const intact = looksEncrypted(header) && v.getUint32(28, true) === checksum(header.subarray(0, 28))
  if (!intact) {
    if (size < ENCRYPTION_HEADER_SIZE + TORN_HEADER_SLACK) return undefined
    // All zeros: the header's one write never reached the disk while a later write did (writeback
    // out of order). Any successful sync of the file would have made the header durable, so such
    // a file holds nothing that was acknowledged: a crash remnant, read as empty.
    if (header.every((b) => b === 0)) return undefined
    throw new CorruptionError(path, 0, 'encryption header is damaged (or the file is not encrypted)')
  }
  const version = v.getUint16(8, true)
  if (version !== ENCRYPTION_VERSION) throw new CorruptionError(path, 8, `unknown encryption header version ${version}`)
  const id = v.getUint32(12, true)
  const key = keys.keyById(id)
  if (key === undefined) throw new CorruptionError(path, 12, `data key ${id} is not in the key registry`)
  return { key: key.key, nonce: header.slice(16, 16 + CTR_NONCE_SIZE) }
}

/** LOCK (and old versions' LOCK.r.<pid>) hold PIDs, written by the inner file system's lock(): read as they are. */
function isPlain(path: string): boolean {
  return parseFileName(path.slice(path.lastIndexOf('/') + 1))?.kind === 'lock'
}

/** Everything not overridden here (names, directories, the lock) passes through unchanged. */
export class EncryptedFileSystem extends ForwardingFileSystem {
  readonly keys: DataKeySource

  constructor(inner: FileSystem, keys: DataKeySource) {
    super(inner)
    this.keys = keys
  }

  /** Reads and checks the header of an existing file; undefined for a crash remnant. */
  private cipherOf(path: string, file: ReadableFile): FileCipher | undefined {
    return decodeEncryptionHeader(path, file.size, file.read(0, ENCRYPTION_HEADER_SIZE), this.keys)
  }

  override openRead(path: string): ReadableFile {
    if (isPlain(path)) return this.inner.openRead(path)
    const file = this.inner.openRead(path)
    try {
      return new EncryptedReadableFile(file, this.cipherOf(path, file))
    } catch (err) {
      file.close()
      throw err
    }
  }

  // CreateOptions.preallocate is ignored, on purpose: the zeros it writes would decrypt to noise,
  // which a reader takes for a torn tail or damage, not for the all-zero end it is.
  override create(path: string, _options?: CreateOptions): WritableFile {
    const active = this.keys.activeKey()
    const nonce = randomNonce()
    const file = this.inner.create(path)
    file.append(encodeEncryptionHeader(active.id, nonce))
    return new EncryptedWritableFile(file, { key: active.key, nonce }, true)
  }

  override openAppend(path: string): WritableFile {
    const r = this.inner.openRead(path)
    let cipher: FileCipher | undefined
    try {
      cipher = this.cipherOf(path, r)
    } finally {
      r.close()
    }
    return new EncryptedWritableFile(this.inner.openAppend(path), cipher, false)
  }

  override readFile(path: string): Uint8Array {
    if (isPlain(path)) return this.inner.readFile(path)
    const f = this.openRead(path)
    try {
      return f.read(0, f.size)
    } finally {
      f.close()
    }
  }

  override truncate(path: string, length: number): void {
    this.inner.truncate(path, ENCRYPTION_HEADER_SIZE + length)
  }
}

class EncryptedReadableFile implements ReadableFile {
  private readonly file: ReadableFile
  private readonly cipher: FileCipher | undefined

  constructor(file: ReadableFile, cipher: FileCipher | undefined) {
    this.file = file
    this.cipher = cipher
  }

  get path(): string {
    return this.file.path
  }

  get size(): number {
    return this.cipher === undefined ? 0 : this.file.size - ENCRYPTION_HEADER_SIZE
  }

  read(offset: number, length: number): Uint8Array {
    if (this.cipher === undefined) return new Uint8Array(0)
    const bytes = this.file.read(ENCRYPTION_HEADER_SIZE + offset, length)
    return ctrApply(this.cipher.key, this.cipher.nonce, offset, bytes)
  }

  close(): void {
    this.file.close()
  }
}

class EncryptedWritableFile implements WritableFile {
  private readonly file: WritableFile
  private readonly cipher: FileCipher | undefined
  private readonly appendable: boolean

  constructor(file: WritableFile, cipher: FileCipher | undefined, appendable: boolean) {
    this.file = file
    this.cipher = cipher
    this.appendable = appendable
  }

  get path(): string {
    return this.file.path
  }

  get size(): number {
    return Math.max(0, this.file.size - ENCRYPTION_HEADER_SIZE)
  }

  append(data: Uint8Array): void {
    if (!this.appendable || this.cipher === undefined) {
      throw new IOError(`append ${this.path}: an encrypted file reopened with openAppend takes no new bytes (they would reuse counter blocks)`)
    }
    const offset = this.size
    if (offset + data.length > CTR_MAX_FILE_BYTES) {
      throw new IOError(`append ${this.path}: an encrypted file holds at most ${CTR_MAX_FILE_BYTES} bytes`)
    }
    this.file.append(ctrApply(this.cipher.key, this.cipher.nonce, offset, data))
  }

  sync(): Promise<void> {
    return this.file.sync()
  }

  close(): Promise<void> {
    return this.file.close()
  }
}
