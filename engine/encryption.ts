// Encryption at rest, the engine's side: the checks made at open before anything is touched, the
// key registry's creation, and data-key rotation while the database runs.
//
// Order at open: check() reads only (a wrong, missing or unexpected key, or a damaged registry,
// fails here, before the LOCK or any file is written); persist() runs once the LOCK is held and
// before recovery writes a byte, creating the registry of a new database or rotating an old key.
// Rotation during a session: when a new file is created and the active data key is older than
// `encryptionKeyRotation`, a new key is sealed into the registry in the background; files keep
// using the old key until the registry holding the new one is durable, so no file can ever name a
// key that a crash could lose. close() waits for a rotation in flight.

import { EncryptionKeyError, NotFoundError } from '../base/errors.js'
import { checkAesKey } from '../base/cipher.js'
import { CURRENT_FILE, KEY_REGISTRY_FILE, KEY_REGISTRY_TEMP_FILE, LOCK_FILE, filePath } from '../base/filenames.js'
import type { FileSystem } from '../base/fs.js'
import { RealFileSystem } from '../base/real-fs.js'
import { type DataKeySource, EncryptedFileSystem, looksEncrypted } from '../base/encrypted-fs.js'
import { type DataKey, KeyRegistry, readKeyRegistry, writeKeyRegistry } from '../base/key-registry.js'
import type { ResolvedOptions } from './options.js'

type EncryptionCheckOptions = Pick<ResolvedOptions, 'fs' | 'encryptionKey' | 'createIfMissing' | 'encryptionKeyRotation'>

/** True when the file at `path` starts with an encryption header. */
function fileLooksEncrypted(fs: FileSystem, path: string): boolean {
  if (!fs.exists(path)) return false
  const f = fs.openRead(path)
  try {
    return looksEncrypted(f.read(0, 8))
  } finally {
    f.close()
  }
}

export class Encryption implements DataKeySource {
  /** The engine's file system: encrypts everything written through it. */
  readonly fs: EncryptedFileSystem
  private registry: KeyRegistry
  /** The file system under the encryption, for files outside the database (backups). */
  readonly inner: FileSystem
  private readonly dir: string
  private readonly masterKey: Uint8Array
  private readonly rotationMs: number
  /** The registry must be written before any data file (a new database, or a rotation at open). */
  private dirty: boolean
  private rotation: Promise<void> | undefined

  private constructor(inner: FileSystem, dir: string, masterKey: Uint8Array, rotationMs: number, registry: KeyRegistry, dirty: boolean) {
    this.inner = inner
    this.dir = dir
    this.masterKey = masterKey
    this.rotationMs = rotationMs
    this.registry = registry
    this.dirty = dirty
    this.fs = new EncryptedFileSystem(inner, this)
  }

  /**
   * Decides, reading only, whether and how `dir` is encrypted. Returns undefined for an unencrypted
   * database opened without a key. Throws EncryptionKeyError for a missing, wrong or unexpected key,
   * CorruptionError for a damaged registry.
   */
  static check(dir: string, options: EncryptionCheckOptions): Encryption | undefined {
    const fs = options.fs
    const key = options.encryptionKey
    const registryPath = filePath(dir, KEY_REGISTRY_FILE)
    const currentPath = filePath(dir, CURRENT_FILE)
    if (key === null) {
      if (fs.exists(registryPath)) throw new EncryptionKeyError(`${dir} is encrypted: open it with options.encryptionKey`)
      if (fileLooksEncrypted(fs, currentPath)) {
        throw new EncryptionKeyError(`${dir} is encrypted but its key registry (${KEY_REGISTRY_FILE}) is missing`)
      }
      return undefined
    }
    const registry = readKeyRegistry(fs, dir, key)
    const now = Date.now()
    if (registry === undefined) {
      if (fs.exists(currentPath)) {
        throw new EncryptionKeyError(
          fileLooksEncrypted(fs, currentPath)
            ? `${dir} is encrypted but its key registry (${KEY_REGISTRY_FILE}) is missing`
            : `${dir} holds a database that is not encrypted; open it without options.encryptionKey`,
        )
      }
      if (!options.createIfMissing) throw new NotFoundError(`no database in ${dir} (createIfMissing is false)`)
      return new Encryption(fs, dir, key, options.encryptionKeyRotation, new KeyRegistry([]).withNewKey(key.length, now), true)
    }
    const enc = new Encryption(fs, dir, key, options.encryptionKeyRotation, registry, false)
    if (enc.due(now)) {
      enc.registry = registry.withNewKey(key.length, now)
      enc.dirty = true
    }
    return enc
  }

  /** Writes the registry when check() changed it. requires: the directory's LOCK is held. */
  async persist(): Promise<void> {
    this.inner.remove(filePath(this.dir, KEY_REGISTRY_TEMP_FILE))
    if (!this.dirty) return
    await writeKeyRegistry(this.inner, this.dir, this.registry, this.masterKey)
    this.dirty = false
  }

  /** The keys a compaction worker needs to read its inputs and write its outputs. */
  workerKeys = (): readonly DataKey[] => this.registry.keys

  private due(now: number): boolean {
    return now - this.registry.activeKey().createdAt >= this.rotationMs
  }

  activeKey(): DataKey {
    const now = Date.now()
    if (this.rotation === undefined && !this.dirty && this.due(now)) {
      const next = this.registry.withNewKey(this.masterKey.length, now)
      // A failed rewrite leaves the old key active, and fails the database: its directory fsync
      // may have failed, and a later one of the same directory would vouch for names it lost.
      this.rotation = writeKeyRegistry(this.inner, this.dir, next, this.masterKey).then(
        () => { this.registry = next },
        (err: unknown) => { this.onFailure?.(err) },
      ).finally(() => { this.rotation = undefined })
    }
    return this.registry.activeKey()
  }

  keyById(id: number): DataKey | undefined {
    return this.registry.keyById(id)
  }

  /** The keys as they are now, for a reader that never rotates (inspection, a worker). */
  readonly snapshotKeys = (): KeyRegistry => new KeyRegistry(this.registry.keys)

  /** Told of a failed registry rewrite during a rotation (the engine's failure rule). */
  onFailure: ((err: unknown) => void) | undefined

  /** Waits for a rotation in flight. */
  async close(): Promise<void> {
    while (this.rotation !== undefined) await this.rotation
  }
}

/**
 * The file system to read the database in `dir` through, for tools that never write (inspect,
 * verify): `fs` itself for an unencrypted database, a decrypting one with the key otherwise.
 * Throws EncryptionKeyError for a missing or wrong key, as open() does.
 */
export function fileSystemForReading(dir: string, fs: FileSystem, key: Uint8Array | null | undefined): FileSystem {
  const encryptionKey = key == null ? null : checkAesKey(key, 'encryptionKey')
  const enc = Encryption.check(dir, { fs, encryptionKey, createIfMissing: false, encryptionKeyRotation: Number.POSITIVE_INFINITY })
  return enc === undefined ? fs : new EncryptedFileSystem(fs, enc.snapshotKeys())
}

/**
 * Re-seals the key registry of the encrypted database in `dir` under `newKey` (`sett rotate-key`).
 * Data files are untouched: they are encrypted with the data keys, which do not change. Takes the
 * directory's LOCK (a running writer may rewrite the registry itself). A wrong `oldKey` fails
 * before anything is written; the rewrite is crash-safe (the old or the new registry survives).
 */
export async function rotateMasterKey(dir: string, oldKey: Uint8Array, newKey: Uint8Array, options: { fs?: FileSystem } = {}): Promise<{ dataKeys: number }> {
  checkAesKey(oldKey, 'old master key')
  checkAesKey(newKey, 'new master key')
  const fs = options.fs ?? new RealFileSystem()
  if (!fs.exists(filePath(dir, KEY_REGISTRY_FILE))) {
    if (!fs.exists(filePath(dir, CURRENT_FILE))) throw new NotFoundError(`no database in ${dir}`)
    throw new EncryptionKeyError(`${dir} is not encrypted: it has no key registry (${KEY_REGISTRY_FILE})`)
  }
  const lock = fs.lock(filePath(dir, LOCK_FILE))
  try {
    const registry = readKeyRegistry(fs, dir, oldKey)!
    await writeKeyRegistry(fs, dir, registry, newKey)
    return { dataKeys: registry.keys.length }
  } finally {
    lock.release()
  }
}
