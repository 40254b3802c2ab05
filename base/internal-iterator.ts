// The one iterator interface over internal entries (user key, seq, kind, value), shared by the
// memtable, tables, the merging iterator and compaction. Vocabulary follows Pebble/LevelDB.
//
// Positioning methods leave the iterator either on an entry (valid() is true) or exhausted.
// userKey() and value() return views that are valid until the next positioning call.

export interface InternalIterator {
  /**
   * Moves to the first entry at or after (userKey, seq) in internal order: the first entry whose
   * user key is greater, or equal with entry seq <= `seq`. `seq` defaults to MAX_SEQ (all versions).
   */
  seekGE(userKey: Uint8Array, seq?: number): void
  /** Moves to the last entry whose user key is strictly less than `userKey`. */
  seekLT(userKey: Uint8Array): void
  first(): void
  last(): void
  next(): void
  prev(): void
  valid(): boolean
  userKey(): Uint8Array
  seq(): number
  kind(): number
  value(): Uint8Array
  /** Releases what the iterator holds (block cache pins, file references). Idempotent. */
  close(): void
}

/** A point-lookup result: the newest visible version of a key in one source. */
export interface LookupResult {
  seq: number
  kind: number
  value: Uint8Array
}
