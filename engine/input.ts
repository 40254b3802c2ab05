// Turns what callers pass as keys and values into bytes, or refuses it with InvalidArgumentError.
// Strings are UTF-8; Uint8Array (and Buffer) are taken as they are.

import { InvalidArgumentError } from '../base/errors.js'
import { checkOptionNames } from '../base/option-names.js'
import { MAX_KEY_SIZE, MAX_VALUE_SIZE } from './options.js'

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
  return typeof key === 'string' ? toKey(key) : copyBytes(toKey(key))
}

export function toOwnedValue(value: unknown): Uint8Array {
  return typeof value === 'string' ? toValue(value) : copyBytes(toValue(value))
}

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

/** put()'s and a batch operation's names: durability, entry header, and the operation's own fields. */
const PUT_OPTION_NAMES: ReadonlySet<string> = new Set(['sync', 'ttl', 'expiresAt', 'meta', 'type', 'key', 'value'])

/** [expiresAt (0 = never), meta] from a put's options, checked. */
export function toEntryHeader(o: EntryOptions | undefined, now: () => number): readonly [number, number] {
  if (o === undefined) return NO_HEADER
  // Called with put()'s options and with each batch operation: the names of both are known here.
  checkOptionNames('options', o, PUT_OPTION_NAMES)
  const { ttl, expiresAt, meta } = o
  if (ttl === undefined && expiresAt === undefined && meta === undefined) return NO_HEADER
  let at = 0
  if (ttl !== undefined) {
    if (expiresAt !== undefined) throw new InvalidArgumentError('give ttl or expiresAt, not both')
    if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl <= 0) throw new InvalidArgumentError('ttl must be a positive number of ms')
    at = Math.ceil(now() + ttl)
  } else if (expiresAt !== undefined) {
    if (typeof expiresAt !== 'number' || !Number.isInteger(expiresAt) || expiresAt <= 0 || expiresAt > Number.MAX_SAFE_INTEGER) {
      throw new InvalidArgumentError('expiresAt must be a positive integer (ms since the epoch)')
    }
    at = expiresAt
  }
  if (meta !== undefined && (typeof meta !== 'number' || !Number.isInteger(meta) || meta < 0 || meta > 255)) {
    throw new InvalidArgumentError('meta must be an integer from 0 to 255')
  }
  return [at, meta ?? 0]
}
