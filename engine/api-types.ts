// The option and result types of DB's public methods (re-exported by engine/db.ts and index.ts).
// Types only: no code, so any room may import them without importing the face.

import type { Bytes, EntryOptions } from './input.js'

export interface WriteOptions {
  /** Wait for the WAL to reach the disk before resolving. Default: the database's `sync` option. */
  sync?: boolean
}

/** put()'s options: durability, and the entry's expiry and metadata byte. */
export interface PutOptions extends WriteOptions, EntryOptions {}

export type BatchOperation =
  | ({ type: 'put'; key: Bytes; value: Bytes } & EntryOptions)
  | { type: 'del'; key: Bytes }

/** What getEntry() returns: the value and what the LSM knows of it. */
export interface StoredEntry {
  value: Buffer
  /** The sequence number of the write (BadgerDB's version). */
  version: number
  /** Expiry time in ms since the epoch, 0 for never. */
  expiresAt: number
  meta: number
}
