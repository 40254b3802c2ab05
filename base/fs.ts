// The file-system seam: every byte the engine reads or writes goes through this interface.
// Two implementations: RealFileSystem (node:fs) and MemFileSystem (in memory, can crash).
//
// Durability contract (what MemFileSystem simulates and the engine must respect):
// - Appended bytes are durable only after WritableFile.sync() resolves.
// - A created, renamed or removed name is durable only after syncDir() of its directory resolves.
// - rename() is atomic: after a crash either the old or the new name is seen, never a mix.
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
  /** Closes without syncing. */
  close(): Promise<void>
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
  create(path: string): WritableFile
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
