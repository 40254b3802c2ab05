// Turns what callers pass as keys, values and entry options into bytes, or refuses it with
// InvalidArgumentError, before anything is queued: whatever passes here can be stored. Strings are
// UTF-8; Uint8Array (and Buffer) are taken as they are.

import { entryPayload } from '../base/entry-value.js'
import { InvalidArgumentError } from '../base/errors.js'
import { Kind } from '../base/internal-key.js'
import { varintLength } from '../base/varint.js'
import { MAX_POINTER_LENGTH } from '../vlog/index.js'
import { MAX_PAYLOAD_LENGTH } from '../wal/index.js'
import { checkOptionNames } from '../base/option-names.js'
import { MAX_KEY_SIZE, MAX_VALUE_SIZE } from './options.js'
import type { BatchOps } from './write-batch.js'

export type Bytes = Uint8Array | string

const utf8 = new TextEncoder()

function toBytes(v: unknown, what: string): Uint8Array {
  if (v instanceof Uint8Array) return v
  if (typeof v === 'string') return utf8.encode(v)
  const type = v === null ? 'null' : typeof v
  throw new InvalidArgumentError(`${what} must be a Uint8Array, Buffer or string, got ${type}`)
}

export function toKey(key: unknown): Uint8Array {
  const k = toBytes(key, 'key')
  if (k.length === 0) throw new InvalidArgumentError('key must not be empty')
  if (k.length > MAX_KEY_SIZE) throw new InvalidArgumentError(`key of ${k.length} bytes exceeds the limit of ${MAX_KEY_SIZE}`)
  return k
}

export function toValue(value: unknown): Uint8Array {
  const v = toBytes(value, 'value')
  if (v.length > MAX_VALUE_SIZE) {
    throw new InvalidArgumentError(`value of ${v.length} bytes exceeds the limit of ${MAX_VALUE_SIZE}`)
  }
  return v
}

/**
 * toKey/toValue for writes: the result is never the caller's array, because a write is encoded
 * only when its group commits and the caller may reuse its buffer as soon as put() returns.
 */
export function toOwnedKey(key: unknown): Uint8Array {
  return typeof key === 'string' ? toKey(key) : keySlab.copy(toKey(key))
}

export function toOwnedValue(value: unknown): Uint8Array {
  return typeof value === 'string' ? toValue(value) : valueSlab.copy(toValue(value))
}

/**
 * Owned copies of small keys and values, cut from shared slabs as Buffer.allocUnsafe cuts from
 * its pool, rather than an array (and an ArrayBuffer, and for more than 64 bytes a malloc) each:
 * a put's two copies were most of what the write path allocated (~380 B of heap per put in a
 * batch), and the collections that garbage costs also grow V8's young generation, which only the
 * embedder can bound (bench/RESULTS.md, issue #14). A slab lives as long as any copy cut from it,
 * so keys and values have slabs of their own: the oracle keeps committed keys for as long as a
 * transaction may conflict with them (engine/oracle.ts), values are never kept past their write
 * (the memtable, WAL and value log copy them), and a key kept must not keep values alive with it.
 */
class CopySlab {
  private slab = new Uint8Array(0)
  private used = 0

  constructor(private readonly slabBytes: number) {}

  /** A copy of `b` that nothing else writes to. */
  copy(b: Uint8Array): Uint8Array {
    const n = b.length
    if (n === 0 || n > this.slabBytes >>> 3) return copyBytes(b)
    if (this.used + n > this.slab.length) {
      this.slab = new Uint8Array(this.slabBytes)
      this.used = 0
    }
    const at = this.used
    const out = this.slab.subarray(at, at + n)
    out.set(b)
    this.used = at + n
    return out
  }
}

const keySlab = new CopySlab(16 * 1024)
const valueSlab = new CopySlab(32 * 1024)

/**
 * A copy as a plain Uint8Array. Buffer's own slice() returns a view, and Uint8Array's slice on a
 * Buffer builds another Buffer through its species constructor, which costs more than the copy.
 */
function copyBytes(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.length)
  out.set(b)
  return out
}

/** toBound for something kept after the call returns: never the caller's array. */
export function toOwnedBound(v: unknown, what: string): Uint8Array {
  return typeof v === 'string' ? toBound(v, what) : copyBytes(toBound(v, what))
}

/** A bound for iteration: any non-empty-or-empty byte string (an empty bound is allowed). */
export function toBound(v: unknown, what: string): Uint8Array {
  return toBytes(v, what)
}

/** The expiry and metadata a put may carry (see WriteOptions / BatchOperation). */
export interface EntryOptions {
  /** Expire this many ms after the write. */
  ttl?: number
  /** Expire at this time, in ms since the Unix epoch (the clock option's scale). */
  expiresAt?: number
  /** A byte of user metadata (0–255), returned with the entry (BadgerDB's UserMeta). */
  meta?: number
}

const NO_HEADER = [0, 0] as const

/**
 * The latest expiry an entry can carry: its header stores expiresAt as a varint of at most 8 bytes
 * (below 2^56, base/entry-value.ts), and ms counts are exact as numbers only up to 2^53 - 1.
 */
export const MAX_EXPIRES_AT = Number.MAX_SAFE_INTEGER
/** put()'s and a batch operation's names: durability, entry header, and the operation's own fields. */
const PUT_OPTION_NAMES: ReadonlySet<string> = new Set(['sync', 'ttl', 'expiresAt', 'meta', 'type', 'key', 'value'])
/** The same names as a null-prototype object, for the allocation-free check (put's hot path). */
const PUT_OPTION_KEYS = nameSet(...PUT_OPTION_NAMES)

/**
 * The names a read (get, getSync, getEntry, has, hasSync, getMany) and a del take. Null-prototype
 * and frozen: checkKnownNames() tests each given name with `in`, which allocates nothing.
 */
const READ_OPTION_NAMES = nameSet('snapshot')
const DEL_OPTION_NAMES = nameSet('sync')

function nameSet(...names: string[]): Readonly<Record<string, true>> {
  const set: Record<string, true> = Object.create(null)
  for (const n of names) set[n] = true
  return Object.freeze(set)
}

/**
 * Returns `options` as given, once every name in it is known (an undefined value passes under
 * any name, as spread defaults leave them). The point-read hot path calls this: nothing is
 * allocated unless a name is unknown, and undefined options cost one comparison.
 */
function checkKnownNames<T>(options: T, known: Readonly<Record<string, true>>): T {
  if (options === undefined || options === null) return options
  if (typeof options !== 'object') throw new InvalidArgumentError(`options must be an object, got ${typeof options}`)
  for (const name in options) {
    if (!(name in known) && (options as Record<string, unknown>)[name] !== undefined) {
      checkOptionNames('options', options, new Set(Object.keys(known)))
    }
  }
  return options
}

/** Whether every enumerable name of `o` with a defined value is in `known` (allocates nothing). */
function hasKnownNames(o: object, known: Readonly<Record<string, true>>): boolean {
  for (const name in o) {
    if (!(name in known) && (o as Record<string, unknown>)[name] !== undefined) return false
  }
  return true
}

/** A read's options (get, getSync, getEntry, has, hasSync, getMany), names checked. */
export function checkReadOptions<T>(options: T): T {
  return checkKnownNames(options, READ_OPTION_NAMES)
}

/** del()'s options, names checked. */
export function checkDelOptions<T>(options: T): T {
  return checkKnownNames(options, DEL_OPTION_NAMES)
}

/** [expiresAt (0 = never), meta] from a put's options, checked. */
export function toEntryHeader(o: EntryOptions | undefined, now: () => number): readonly [number, number] {
  if (o === undefined) return NO_HEADER
  // Called with put()'s options and with each batch operation: the names of both are known here.
  // An object whose names are all known passes without Object.entries() (an array per call);
  // anything else gets checkOptionNames' answer, message and all.
  if (typeof o !== 'object' || o === null || !hasKnownNames(o, PUT_OPTION_KEYS)) checkOptionNames('options', o, PUT_OPTION_NAMES)
  const { ttl, expiresAt, meta } = o
  if (ttl === undefined && expiresAt === undefined && meta === undefined) return NO_HEADER
  let at = 0
  if (ttl !== undefined) {
    if (expiresAt !== undefined) throw new InvalidArgumentError('give ttl or expiresAt, not both')
    if (typeof ttl !== 'number' || !Number.isSafeInteger(ttl) || ttl <= 0) throw new InvalidArgumentError('ttl must be a positive integer number of ms')
    at = Math.ceil(now() + ttl)
    if (!(at >= 1 && at <= MAX_EXPIRES_AT)) {
      throw new InvalidArgumentError(`ttl of ${ttl} ms expires past the latest storable time (${MAX_EXPIRES_AT} ms since the epoch)`)
    }
  } else if (expiresAt !== undefined) {
    if (typeof expiresAt !== 'number' || !Number.isSafeInteger(expiresAt) || expiresAt <= 0) {
      throw new InvalidArgumentError(`expiresAt must be a positive integer (ms since the epoch) up to ${MAX_EXPIRES_AT}`)
    }
    at = expiresAt
  }
  if (meta !== undefined && (typeof meta !== 'number' || !Number.isInteger(meta) || meta < 0 || meta > 255)) {
    throw new InvalidArgumentError('meta must be an integer from 0 to 255')
  }
  return [at, meta ?? 0]
}

// A batch record's fixed part at most: version byte, firstSeq and count varints, the value-log
// claim's two varints (engine/write-batch.ts).
const RECORD_FIXED_BYTES = 1 + 8 + 8 + 16
// Per entry beyond key and value bytes at most: kind byte, key length varint (keys <= 64 KiB),
// value length varint (values <= 64 MiB plus header), and a pointer in place of a value.
const ENTRY_OVERHEAD_BYTES = 1 + 3 + 4 + MAX_POINTER_LENGTH

/**
 * Refuses, before it is queued, a batch whose WAL record could pass the log's limit: the writer
 * would refuse the record in the middle of the commit, and a commit that fails there stops the
 * engine. Values of at least `valueThreshold` bytes count as the pointers they will become. (A
 * group commit adds other batches to a record only while the group stays under 4 MiB, so a
 * batch that fits alone fits in its group.)
 */
export function checkFitsOneRecord(ops: BatchOps, valueThreshold: number): void {
  if (RECORD_FIXED_BYTES + ops.bytes + ops.length * ENTRY_OVERHEAD_BYTES <= MAX_PAYLOAD_LENGTH) return
  let size = RECORD_FIXED_BYTES
  for (let i = 0; i < ops.length; i++) {
    const kind = ops.kinds[i]
    const k = ops.keys[i].length
    size += 1 + varintLength(k) + k
    if (kind === Kind.Delete) continue
    const value = ops.values[i]
    const payload = entryPayload(kind, value).length
    const stored = payload >= valueThreshold ? value.length - payload + MAX_POINTER_LENGTH : value.length
    size += varintLength(stored) + stored
  }
  if (size > MAX_PAYLOAD_LENGTH) {
    throw new InvalidArgumentError(
      `a batch of ${ops.length} operations makes a WAL record of up to ${size} bytes, over the limit of ${MAX_PAYLOAD_LENGTH}: ` +
      'split it, or load it with db.writeBatch()',
    )
  }
}
