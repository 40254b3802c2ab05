// Visibility: the one answer to "does this stored entry read as absent". An entry is absent when
// it is a deletion, when its expiry has passed by the given clock reading, or when a
// dropPrefix()/dropAll() covers it. Point reads, iterators, value-log GC and backups all ask here,
// so they can never disagree about what a key holds. Pure: no clock of its own, no I/O.

import { type DroppedPrefix, isDropped } from './dropped-prefixes.js'
import { isDeadEntry } from './entry-value.js'
import { Kind } from './internal-key.js'

/** Why an entry reads as absent, or undefined when it reads as present. */
export type Absence = 'dropped' | 'deleted' | 'expired' | undefined

/**
 * Why (key, seq, kind, value) reads as absent at clock reading `now` under `droppedPrefixes`.
 * A drop is reported before a deletion or an expiry: a dropped entry takes its older versions
 * with it, which a backup must know apart from a deletion.
 */
export function absence(
  now: number, droppedPrefixes: readonly DroppedPrefix[], key: Uint8Array, seq: number, kind: number, value: Uint8Array,
): Absence {
  if (droppedPrefixes.length > 0 && isDropped(droppedPrefixes, key, seq)) return 'dropped'
  if (kind === Kind.Delete) return 'deleted'
  return isDeadEntry(kind, value, now) ? 'expired' : undefined
}

/** Whether the entry reads as absent: deleted, expired at `now`, or dropped. */
export function isAbsent(
  now: number, droppedPrefixes: readonly DroppedPrefix[], key: Uint8Array, seq: number, kind: number, value: Uint8Array,
): boolean {
  return absence(now, droppedPrefixes, key, seq, kind, value) !== undefined
}
