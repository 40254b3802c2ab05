// The file-system seam: every byte the engine reads or writes goes through this interface.
// Two implementations: RealFileSystem (node:fs) and MemFileSystem (in memory, can crash).
//
// Durability contract (what MemFileSystem simulates and the engine must respect):
// - Appended bytes are durable only after WritableFile.sync() resolves.
// - A created, renamed or removed name is durable only after syncDir() of its directory resolves.
// - rename() is atomic: after a crash either the old or the new name is seen, never a mix.
// - A file created with CreateOptions.preallocate may hold written zeros past its `size`; after a
//   crash (before close() or trim() was synced) they are an all-zero tail of the file.
// Reads and appends are synchronous (a cached readSync costs ~1 µs, an async read ~50 µs);
// sync() and syncDir() are asynchronous so concurrent writers can group behind one fsync.

export interface ReadableFile {
  readonly path: string
  /** The file's length in bytes when it was opened (files the engine reads are immutable). */
  readonly size: number
  /**
   * Reads `length` bytes at `offset` into a new array; returns fewer only where the file ends.
   * The result is owned by the caller.
   */
  read(offset: number, length: number): Uint8Array
  /**
   * Reads up to `length` bytes at `offset` into `dest[0, length)` and returns how many it read
   * (fewer only where the file ends). For callers that decode the bytes at once and keep none of
   * them (a table's block reads: no allocation per read). Optional: a file that lacks it is read
   * through read().
   */
  readInto?(offset: number, length: number, dest: Uint8Array): number
  close(): void
}

export interface WritableFile {
  readonly path: string
  /** Bytes in the file, including those not yet synced. */
  readonly size: number
  /** Appends all of `data`. The caller may reuse `data` after the call returns. */
  append(data: Uint8Array): void
  /** Makes every appended byte durable (fdatasync). */
  sync(): Promise<void>
  /**
   * Cuts a preallocated zero tail (CreateOptions.preallocate), so the file's length is `size`
   * again, and ends preallocation for this file: a later sync() writes no zeros, so the sync
   * after a trim makes the cut durable rather than writing a new tail. For a file about to be
   * closed. Optional: a file that never preallocates lacks it.
   */
  trim?(): void
  /** Closes without syncing (a preallocated zero tail is cut first, unsynced). */
  close(): Promise<void>
}

export interface CreateOptions {
  /**
   * Keep about this many bytes of written zeros ahead of the file's end, extended at sync() time
   * (so the sync that makes an append durable covers the zeros after it): a later fdatasync of an
   * append into bytes that are already allocated and written needs no journal commit for the
   * inode's size. `size` stays the appended length; close() and trim() cut the zeros. After a
   * crash the zero tail stays, so only files whose readers take an all-zero rest as their end may
   * ask for it (the WAL, the value log). A file system may ignore it (encryption does: zeros
   * would not decrypt to zeros). Default 0: none. The tail grows with the file (preallocatedAhead):
   * a small file does not carry `preallocate` bytes of zeros.
   */
  preallocate?: number
}

/** The smallest zero tail a preallocating file keeps (unless `preallocate` is smaller). */
export const PREALLOCATE_MIN = 64 * 1024

/**
 * How many zeros a file of `length` bytes created with `preallocate` keeps ahead of its end: as
 * many as it holds, at least PREALLOCATE_MIN and at most `preallocate` (64 KiB, 128 KiB, ... as it
 * grows). A sync extends the tail when fewer than half of these are left. Shared by every
 * FileSystem, so the in-memory one writes the zeros the real one does.
 */
export function preallocatedAhead(length: number, preallocate: number): number {
  return Math.min(preallocate, Math.max(PREALLOCATE_MIN, length))
}

/**
 * A hold on a database directory; released by release() or by process death. 'exclusive' (a
 * writer) excludes every other holder; 'shared' (a read-only open) excludes only writers.
 */
export type LockMode = 'exclusive' | 'shared'

/** A hold on a database directory; released by release() or by process death. */
export interface FileLock {
  release(): void
}

export interface FileSystem {
  /** Opens an existing file for reading. Throws NotFoundError when it does not exist. */
  openRead(path: string): ReadableFile
  /** Creates a new file, or truncates an existing one, for appending. */
  create(path: string, options?: CreateOptions): WritableFile
  /** Opens an existing file to append at its end. Throws NotFoundError when it does not exist. */
  openAppend(path: string): WritableFile
  /** Reads a whole file. Throws NotFoundError when it does not exist. */
  readFile(path: string): Uint8Array
  /** Cuts a file to `length` bytes; durable after a sync of the file (openAppend + sync). */
  truncate(path: string, length: number): void
  /** Atomically gives `from` the name `to`, replacing any file there. */
  rename(from: string, to: string): void
  /** Removes a file; a missing file is not an error. */
  remove(path: string): void
  exists(path: string): boolean
  /** Names (not paths) of the entries in `dir`, sorted. Throws NotFoundError when `dir` is missing. */
  list(dir: string): string[]
  /** Creates `dir` and its parents when missing. */
  mkdir(dir: string): void
  /** Makes the names in `dir` durable (fsync of the directory). */
  syncDir(dir: string): Promise<void>
  /**
   * Takes the lock at `path` (a LOCK file): exclusive by default, or shared with other shared
   * holders. Throws LockError when a live holder excludes it; a lock left by a dead process
   * does not count.
   */
  lock(path: string, mode?: LockMode): FileLock
}
