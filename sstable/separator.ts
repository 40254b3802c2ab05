// Index keys: for each data block, a short key that sorts at or after the block's last key and
// before the next block's first key, so the index stays small and a binary search over it
// finds the one block that can hold a key (LevelDB's FindShortestSeparator / FindShortSuccessor).
//
// A shortened separator is a user key with the trailer (MAX_SEQ, 0xff), the smallest internal
// key of that user key, so it sorts after every version of any smaller user key.

import { MAX_SEQ } from '../base/internal-key.js'

/** An internal key in parts, as the index stores it. */
export interface SeparatorKey {
  userKey: Uint8Array
  seq: number
  kind: number
}

/**
 * A key k with last <= k < next, where last = (lastUser, lastSeq, lastKind) and next has user
 * key `nextUser`. requires: last < next in internal order.
 */
export function separator(
  lastUser: Uint8Array, lastSeq: number, lastKind: number, nextUser: Uint8Array,
): SeparatorKey {
  const n = Math.min(lastUser.length, nextUser.length)
  let i = 0
  while (i < n && lastUser[i] === nextUser[i]) i++
  // Shorten when the first differing byte of lastUser can be bumped and still stay below nextUser.
  if (i < n && i + 1 < lastUser.length) {
    const b = lastUser[i]
    if (b < 0xff && b + 1 < nextUser[i]) {
      const user = lastUser.slice(0, i + 1)
      user[i] = b + 1
      return { userKey: user, seq: MAX_SEQ, kind: 0xff }
    }
  }
  return { userKey: lastUser.slice(), seq: lastSeq, kind: lastKind }
}

/** A key k >= last = (lastUser, lastSeq, lastKind), shorter when cheap (for the last block). */
export function successor(lastUser: Uint8Array, lastSeq: number, lastKind: number): SeparatorKey {
  for (let i = 0; i < lastUser.length; i++) {
    if (lastUser[i] !== 0xff && i + 1 < lastUser.length) {
      const user = lastUser.slice(0, i + 1)
      user[i]++
      return { userKey: user, seq: MAX_SEQ, kind: 0xff }
    }
  }
  return { userKey: lastUser.slice(), seq: lastSeq, kind: lastKind }
}
