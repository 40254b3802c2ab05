// getMany and a range clear for the database (what `level` and lmdb-js users reach for), written
// against a small host so they hold no state of their own.
//
// clear() has abstract-level's semantics: the keys of a range (gt/gte/lt/lte, and prefix as in
// iterators), at most `limit` of them taken from the start of the range, or from its end with
// `reverse`, as they are at one snapshot (taken when clear is called, or the caller's); deleted
// in batches of CLEAR_BATCH keys, so not atomic as a whole, and writes made after that snapshot
// are left alone. Every batch goes through the write path: subscribers hear of each deletion and
// transactions that read the range conflict with it.

import { InvalidArgumentError } from '../base/errors.js'
import { toKey } from './input.js'
import type { DBIterator, IteratorOptions } from './iterator.js'
import type { Snapshot } from './snapshot.js'

export const CLEAR_BATCH = 1000

export interface ClearOptions {
  gt?: Uint8Array | string
  gte?: Uint8Array | string
  lt?: Uint8Array | string
  lte?: Uint8Array | string
  prefix?: Uint8Array | string
  /** Most keys to delete. Default: no limit (-1 or Infinity mean the same). */
  limit?: number
  /** Take the `limit` keys from the end of the range. Default false. */
  reverse?: boolean
  /** Clear the keys as this snapshot sees them. Default: a snapshot taken now. */
  snapshot?: Snapshot
  sync?: boolean
}

export interface RangeHost {
  snapshot(): Snapshot
  getSync(key: Uint8Array, options: { snapshot: Snapshot }): Buffer | undefined
  iterator(options: IteratorOptions & { keysOnly: true }): DBIterator<undefined>
  batch(operations: { type: 'del'; key: Uint8Array }[], options: { sync?: boolean }): Promise<void>
}

/** The values of `keys` (undefined where absent), all read at one snapshot. */
export function getMany(host: RangeHost, keys: readonly unknown[], options: { snapshot?: Snapshot } = {}): (Buffer | undefined)[] {
  if (!Array.isArray(keys)) throw new InvalidArgumentError('getMany needs an array of keys')
  const checked = keys.map((k) => toKey(k))
  const snapshot = options.snapshot ?? host.snapshot()
  try {
    return checked.map((k) => host.getSync(k, { snapshot }))
  } finally {
    if (options.snapshot === undefined) snapshot.release()
  }
}

/** Deletes the keys of a range (see the top of the file); resolves with how many it deleted. */
export async function clearRange(host: RangeHost, options: ClearOptions = {}): Promise<number> {
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError('clear options must be an object')
  const { gt, gte, lt, lte, prefix, limit, reverse, snapshot, sync } = options
  // Created before the first await: the keys cleared are those at the moment clear is called.
  const it = host.iterator({ gt, gte, lt, lte, prefix, limit, reverse, snapshot, keysOnly: true })
  let deleted = 0
  try {
    for (;;) {
      const entries = it.nextv(CLEAR_BATCH)
      if (entries.length === 0) return deleted
      await host.batch(entries.map(([key]) => ({ type: 'del' as const, key })), { sync })
      deleted += entries.length
    }
  } finally {
    it.close()
  }
}
