// SettLevel: a Sett database behind abstract-level's interface, so the Level ecosystem (sublevels,
// encodings, hooks, level-read-stream, ...) runs on it. abstract-level does the public API:
// argument checks, encodings, deferred open, sublevels, events, hooks; this class implements the
// private methods on one Sett DB per open, with keys tagged (store-key.ts) so empty keys work.
//
// Lifetime: open() opens the Sett DB at `location` (abstract-level calls _open), close() closes
// it after every iterator and snapshot of this database (abstract-level closes those first) and
// every clear() and compactRange() still running. The instance can be reopened.

import { AbstractLevel, type AbstractDatabaseOptions, type AbstractOpenOptions } from 'abstract-level'
import {
  type BatchOperation, type DB, MAX_VALUE_SIZE, MemFileSystem, NotFoundError, type Options, type ReadOptions, open,
} from '../engine/index.js'
import { LevelError, notOpen, toLevelError } from './errors.js'
import { foreignDatabaseKind } from './foreign-database.js'
import { SETT_OPTIONS, settOpenOptions } from './open-options.js'
import { type LevelRangeOptions, settRange, storeRange } from './range.js'
import { type PrivateIteratorOptions, SettIterator } from './sett-iterator.js'
import { SettSnapshot, settSnapshotOf } from './sett-snapshot.js'
import { type Format, MAX_LEVEL_KEY_SIZE, fromStoreValue, toStoreKey } from './store-key.js'

/** Sett's options (kept for every open) plus abstract-level's (encodings, open options). */
export interface SettLevelOptions<K = string, V = string> extends Options, AbstractDatabaseOptions<K, V> {}

type Data = string | Buffer | Uint8Array

interface KeyOptions {
  keyEncoding: Format
  snapshot?: unknown
}
interface EntryOptions extends KeyOptions {
  valueEncoding: Format
}
interface WriteOptions {
  /** Sett's per-write durability; anything but a boolean means the database's default. */
  sync?: unknown
  /** Sett's entry expiry (put and batch puts): ms from now, or an absolute time in ms. */
  ttl?: number
  expiresAt?: number
}
type PrivateBatchOperation =
  | { type: 'put'; key: Data; value: Data; keyEncoding: Format; valueEncoding: Format }
  | { type: 'del'; key: Data; keyEncoding: Format }
interface PrivateClearOptions extends LevelRangeOptions {
  reverse: boolean
  limit: number
  keyEncoding: Format
  snapshot?: unknown
}

/** Keys deleted per batch by clear(): large enough to amortize a write, small enough to stay short. */
const CLEAR_BATCH = 1000

export class SettLevel<KDefault = string, VDefault = string> extends AbstractLevel<Data, KDefault, VDefault> {
  readonly #location: string
  /** The engine's options from the constructor; open() options may override them for one open. */
  readonly #settOptions: Options
  #db: DB | undefined = undefined
  /** clear() and compactRange() calls in flight: close() waits for them. */
  readonly #running = new Set<Promise<unknown>>()

  constructor(location: string, options?: SettLevelOptions<KDefault, VDefault>) {
    if (typeof location !== 'string' || location === '') {
      throw new TypeError("The first argument 'location' must be a non-empty string")
    }
    const { sett, level } = splitOptions(options)
    super(manifest(sett), level)
    this.#location = location
    this.#settOptions = sett
  }

  get location(): string {
    return this.#location
  }

  /**
   * The Sett database underneath, for what abstract-level has no words for: transactions, TTL,
   * subscribe(), backup(), stats(). Only while open (abstract-level's status 'open'); writes made
   * through it skip this SettLevel's encodings, events and hooks. SettLevel stores every key with
   * a tag byte in front (store-key.ts): pass keys through engineKey() to meet its entries.
   */
  get engine(): DB {
    return this.#sett()
  }

  /** The engine's key for an (already encoded) SettLevel key: the tag byte, then the key. */
  engineKey(key: string | Uint8Array): Buffer {
    return toStoreKey(key)
  }

  #sett(): DB {
    if (this.#db === undefined) throw notOpen('this method')
    return this.#db
  }

  async _open(options: AbstractOpenOptions & Options): Promise<void> {
    try {
      this.#db = await open(this.#location, settOpenOptions(this.#settOptions, options))
    } catch (err) {
      // abstract-level reports this as LEVEL_DATABASE_NOT_OPEN with our error as its cause.
      if (err instanceof NotFoundError) {
        throw new Error(`database ${this.#location} does not exist (createIfMissing is false)`, { cause: err })
      }
      const foreign = foreignDatabaseKind(this.#location)
      if (foreign !== undefined) {
        throw new Error(`${this.#location} is a ${foreign} database, not a Sett one: open it with ${foreign === 'LevelDB' ? 'classic-level' : 'rocksdb'}, or copy its entries into a new Sett directory`, { cause: err })
      }
      throw toLevelError(err)
    }
  }

  async _close(): Promise<void> {
    await Promise.allSettled([...this.#running])
    const db = this.#db
    if (db === undefined) return
    try {
      await db.close()
    } catch (err) {
      throw toLevelError(err)
    }
    this.#db = undefined
  }

  // ---------------------------------------------------------------- reads

  #readOptions(options: KeyOptions): ReadOptions | undefined {
    const snapshot = settSnapshotOf(options.snapshot)
    return snapshot === undefined ? undefined : { snapshot }
  }

  #read(key: Data, options: KeyOptions): Buffer | undefined {
    return this.#sett().getSync(toStoreKey(key), this.#readOptions(options))
  }

  /** From the LSM alone: a value kept in the value log is not read. */
  #has(key: Data, options: KeyOptions): boolean {
    return this.#sett().hasSync(toStoreKey(key), this.#readOptions(options))
  }

  _getSync(key: Data, options: EntryOptions): Data | undefined {
    try {
      const v = this.#read(key, options)
      return v === undefined ? undefined : fromStoreValue(v, options.valueEncoding)
    } catch (err) {
      throw toLevelError(err)
    }
  }

  async _get(key: Data, options: EntryOptions): Promise<Data | undefined> {
    return this._getSync(key, options)
  }

  async _getMany(keys: Data[], options: EntryOptions): Promise<(Data | undefined)[]> {
    return keys.map((key) => this._getSync(key, options))
  }

  async _has(key: Data, options: KeyOptions): Promise<boolean> {
    try {
      return this.#has(key, options)
    } catch (err) {
      throw toLevelError(err)
    }
  }

  async _hasMany(keys: Data[], options: KeyOptions): Promise<boolean[]> {
    try {
      return keys.map((key) => this.#has(key, options))
    } catch (err) {
      throw toLevelError(err)
    }
  }

  _iterator(options: PrivateIteratorOptions): SettIterator {
    return new SettIterator(this, this.#sett(), options)
  }

  _snapshot(options: { owner: unknown }): SettSnapshot {
    return new SettSnapshot(options, this.#sett().snapshot())
  }

  // ---------------------------------------------------------------- writes

  async _put(key: Data, value: Data, options: WriteOptions): Promise<void> {
    const k = writeKey(key)
    checkValue(value)
    try {
      await this.#sett().put(k, value, { ...writeOptions(options), ...expiry(options) })
    } catch (err) {
      throw toLevelError(err)
    }
  }

  async _del(key: Data, options: WriteOptions): Promise<void> {
    const k = writeKey(key)
    try {
      await this.#sett().del(k, writeOptions(options))
    } catch (err) {
      throw toLevelError(err)
    }
  }

  async _batch(operations: PrivateBatchOperation[], options: WriteOptions): Promise<void> {
    const ops: BatchOperation[] = new Array(operations.length)
    for (let i = 0; i < operations.length; i++) {
      const op = operations[i]
      if (op.type === 'put') {
        checkValue(op.value)
        ops[i] = { type: 'put', key: writeKey(op.key), value: op.value, ...expiry(op as WriteOptions) }
      } else {
        ops[i] = { type: 'del', key: writeKey(op.key) }
      }
    }
    try {
      await this.#sett().batch(ops, writeOptions(options))
    } catch (err) {
      throw toLevelError(err)
    }
  }

  /**
   * Deletes the keys of a range as they are at one snapshot (the caller's, or taken now), in
   * batches: like abstract-level asks, not atomic, and later writes are left alone.
   */
  async _clear(options: PrivateClearOptions): Promise<void> {
    const db = this.#sett()
    // Everything up to the first await runs now, so the iterator's snapshot is taken now.
    await this.#track(async () => {
      let it
      try {
        it = db.iterator({
          ...settRange(storeRange(options)),
          reverse: options.reverse,
          limit: options.limit,
          keysOnly: true,
          snapshot: settSnapshotOf(options.snapshot),
        })
        for (;;) {
          const entries = it.nextv(CLEAR_BATCH)
          if (entries.length === 0) return
          await db.batch(entries.map(([key]) => ({ type: 'del' as const, key })))
        }
      } catch (err) {
        throw toLevelError(err)
      } finally {
        it?.close()
      }
    })
  }

  async #track<T>(work: () => Promise<T>): Promise<T> {
    const p = work()
    this.#running.add(p)
    try {
      return await p
    } finally {
      this.#running.delete(p)
    }
  }

  // ---------------------------------------------------------------- additional methods

  /**
   * Approximate bytes on disk that the keys in [start, end) take, from the tables' block
   * offsets (data still in the memtable is not counted). As in classic-level.
   */
  approximateSize(start: KDefault, end: KDefault): Promise<number>
  approximateSize<K = KDefault>(start: K, end: K, options: { keyEncoding?: string }): Promise<number>
  approximateSize(start: unknown, end: unknown, options?: { keyEncoding?: string }): Promise<number> {
    if (arguments.length < 2) return Promise.reject(new TypeError("The arguments 'start' and 'end' are required"))
    return this.#whenOpen('approximateSize', async () => {
      const encode = keyEncoder(this, options)
      return this.#sett().approximateSize(toStoreKey(encode(start)), toStoreKey(encode(end)))
    })
  }

  /**
   * Compacts the tables overlapping [start, end] down the levels, dropping overwritten and
   * deleted data; without bounds, the whole database. As in classic-level.
   */
  compactRange(start?: KDefault, end?: KDefault): Promise<void>
  compactRange<K = KDefault>(start: K | undefined, end: K | undefined, options: { keyEncoding?: string }): Promise<void>
  compactRange(start?: unknown, end?: unknown, options?: { keyEncoding?: string }): Promise<void> {
    return this.#whenOpen('compactRange', () => {
      const encode = keyEncoder(this, options)
      const db = this.#sett()
      const lo = start === undefined ? undefined : toStoreKey(encode(start))
      const hi = end === undefined ? undefined : toStoreKey(encode(end))
      return this.#track(() => db.compactRange(lo, hi))
    })
  }

  /** Runs `work` now when open, after opening when opening, and refuses it otherwise. */
  async #whenOpen<T>(what: string, work: () => Promise<T>): Promise<T> {
    if (this.status === 'opening') return this.deferAsync(() => this.#whenOpen(what, work))
    if (this.status !== 'open') throw notOpen(what)
    try {
      return await work()
    } catch (err) {
      throw toLevelError(err)
    }
  }
}

/**
 * The engine's options, kept by the instance, and the rest, which abstract-level forwards to
 * open() and its postopen hooks. (createIfMissing and errorIfExists are open options of both.)
 */
function splitOptions<K, V>(options: SettLevelOptions<K, V> | undefined): { sett: Options; level: AbstractDatabaseOptions<K, V> } {
  const sett: Record<string, unknown> = {}
  const level: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(options ?? {})) {
    if (Object.hasOwn(SETT_OPTIONS, k)) sett[k] = v
    else level[k] = v
  }
  return { sett, level }
}


function manifest(options: Options) {
  return {
    // Sett takes strings and bytes as they are, so no encoding needs a transcoding step.
    encodings: { buffer: true, view: true, utf8: true },
    implicitSnapshots: true,
    explicitSnapshots: true,
    has: true,
    getSync: true,
    seek: true,
    // An in-memory file system keeps data across close() and open() of one instance, not
    // across processes.
    permanence: !(options.fs instanceof MemFileSystem),
    createIfMissing: true,
    errorIfExists: true,
    additionalMethods: { approximateSize: true, compactRange: true },
  }
}

/** Encodes keys of the additional methods with their keyEncoding option (or the database's). */
function keyEncoder(db: object, options: { keyEncoding?: string } | undefined): (key: unknown) => Data {
  const encoding = (db as { keyEncoding(name?: string): { encode(key: unknown): Data } }).keyEncoding(options?.keyEncoding)
  return (key) => encoding.encode(key)
}

/** A key to write, tagged, or LEVEL_INVALID_KEY when it would pass Sett's limit. */
function writeKey(key: Data): Buffer {
  const k = toStoreKey(key)
  if (k.length - 1 > MAX_LEVEL_KEY_SIZE) {
    throw new LevelError(`key of ${k.length - 1} bytes exceeds the limit of ${MAX_LEVEL_KEY_SIZE}`, 'LEVEL_INVALID_KEY')
  }
  return k
}

function checkValue(value: Data): void {
  // A UTF-8 string takes at most 3 bytes per UTF-16 unit, so only long strings need measuring.
  const size = typeof value === 'string'
    ? (value.length * 3 <= MAX_VALUE_SIZE ? 0 : Buffer.byteLength(value))
    : value.byteLength
  if (size > MAX_VALUE_SIZE) {
    throw new LevelError(`value of ${size} bytes exceeds the limit of ${MAX_VALUE_SIZE}`, 'LEVEL_INVALID_VALUE')
  }
}

/** A put's expiry, passed to the engine (which checks it) only when given. */
function expiry(options: WriteOptions): { ttl?: number; expiresAt?: number } {
  const out: { ttl?: number; expiresAt?: number } = {}
  if (options.ttl !== undefined) out.ttl = options.ttl
  if (options.expiresAt !== undefined) out.expiresAt = options.expiresAt
  return out
}

function writeOptions(options: WriteOptions): { sync?: boolean } | undefined {
  return typeof options.sync === 'boolean' ? { sync: options.sync } : undefined
}

