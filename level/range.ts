// Range options as abstract-level hands them to the private API (already encoded), resolved once
// into tagged bounds. abstract-level gives gte precedence over gt and lte over lt, where Sett
// would take gt and lt; so only the winning bound of each side is passed on.

import type { IteratorOptions } from '../engine/index.js'
import { TAGGED_KEYS, toStoreKey } from './store-key.js'

export interface LevelRangeOptions {
  gt?: string | Uint8Array
  gte?: string | Uint8Array
  lt?: string | Uint8Array
  lte?: string | Uint8Array
}

export interface StoreRange {
  lower: Buffer | undefined
  lowerExclusive: boolean
  upper: Buffer | undefined
  upperExclusive: boolean
}

export function storeRange(options: LevelRangeOptions): StoreRange {
  const r: StoreRange = { lower: undefined, lowerExclusive: false, upper: undefined, upperExclusive: false }
  if (options.gte !== undefined) r.lower = toStoreKey(options.gte)
  else if (options.gt !== undefined) (r.lower = toStoreKey(options.gt)), (r.lowerExclusive = true)
  if (options.lte !== undefined) r.upper = toStoreKey(options.lte)
  else if (options.lt !== undefined) (r.upper = toStoreKey(options.lt)), (r.upperExclusive = true)
  return r
}

/** True when `key` (tagged) lies inside the range. */
export function rangeContains(r: StoreRange, key: Buffer): boolean {
  if (r.lower !== undefined) {
    const c = Buffer.compare(key, r.lower)
    if (c < 0 || (c === 0 && r.lowerExclusive)) return false
  }
  if (r.upper !== undefined) {
    const c = Buffer.compare(key, r.upper)
    if (c > 0 || (c === 0 && r.upperExclusive)) return false
  }
  return true
}

/** Sett iterator options for the range, kept to the tagged keys. */
export function settRange(r: StoreRange): Pick<IteratorOptions, 'gt' | 'gte' | 'lt' | 'lte' | 'prefix'> {
  const out: Pick<IteratorOptions, 'gt' | 'gte' | 'lt' | 'lte' | 'prefix'> = { prefix: TAGGED_KEYS }
  if (r.lower !== undefined) out[r.lowerExclusive ? 'gt' : 'gte'] = r.lower
  if (r.upper !== undefined) out[r.upperExclusive ? 'lt' : 'lte'] = r.upper
  return out
}
