// ValueLog: the set of value-log files. Large values are appended to the active file at write
// time; reads follow a pointer (file, offset, length) and check the entry's checksum and key.
//
// Lifetime rules: files are created and retired by the engine, which records each in the
// manifest (created → synced → recorded before first use; deleted from disk only after the
// manifest no longer lists it and no reader can still follow a pointer into it). Only the active
// file is ever appended to; on open the newest file's torn tail is cut and appends go to a new file.
// Files are written in format version 2: seal() appends a durable marker after a sync, so damage
// to synced bytes is told from a crash's out-of-order writeback (vlog/format.ts). Whole files
// (version 3, written by a flush: vlog/whole-file.ts) join the set through addWholeFile() once
// their manifest edit is durable; they are read and collected like any other, never appended to,
// and never count as the newest file that may end in a torn tail.
// The active file is created with VLOG_PREALLOCATE (written zeros ahead of its end, as the WAL's):
// an all-zero rest of a file is its clean end, and the tail is cut before the file stops being
// the active one, in the sync that closes it, so only the newest file can have one after a crash.

import { CorruptionError } from '../base/errors.js'
import { filePath, vlogFileName } from '../base/filenames.js'
import type { FileSystem, ReadableFile, WritableFile } from '../base/fs.js'
import {
  ENTRY_END, ENTRY_HEADER_SIZE, ENTRY_TRUNCATED, type DecodedEntry, VLOG_HEADER_SIZE, type ValuePointer,
  VLOG_FORMAT_MARKERS, VLOG_FORMAT_WHOLE, CHECK_BAD, CHECK_OTHER_KEY, checkEntry, checkFileHeader, claimPast, decodeEntry, encodeEntry, encodeFileHeader, encodeMarker, entrySize,
  entryLengthAt, findValidEntry, markerClaim,
} from './format.js'

export interface ValueLogOptions {
  /** Start a new file once the active one holds this many bytes. */
  maxFileSize: number
  /** ... or this many entries. */
  maxEntries: number
  /** Readers kept open at once (least recently used closed first). */
  maxOpenFiles: number
  /**
   * Whether recovery may append a durable marker to the newest file (default true). False for an
   * encrypted file system, where a reopened file takes no new bytes (they would reuse the cipher's
   * counter blocks); such a file then relies on the WAL's claims alone until it is no longer newest.
   */
  markReopenedFiles?: boolean
}

export interface ValueLogEntry {
  key: Uint8Array
  seq: number
  value: Uint8Array
}

interface ActiveFile {
  number: number
  file: WritableFile
  entries: number
}

/**
 * Entries up to this many bytes are read through readScratch (value-log read()). Below half of
 * Buffer.poolSize, so Buffer.allocUnsafe() of their value takes a slice of the pool.
 */
const POOLED_ENTRY_MAX = 4096
const RESOLVED: Promise<void> = Promise.resolve()

/**
 * What the active file asks its file system to preallocate (CreateOptions.preallocate): a synced
 * large-value write's fdatasync then lands in bytes already allocated and written, and needs no
 * journal commit for a new file size (the same as the WAL's, wal/writer.ts WAL_PREALLOCATE). The
 * most kept: the tail starts at 64 KiB and grows with the file (base/fs.ts preallocatedAhead).
 */
export const VLOG_PREALLOCATE = 1 << 20

/** Appends up to this size reuse one buffer per value log; larger ones get their own. */
const APPEND_SCRATCH_MAX = 1 << 20

/** Shared by every value log of this thread: read() uses it synchronously, start to end. */
let readScratch = new Uint8Array(POOLED_ENTRY_MAX)

/**
 * MALLOC_THRESHOLDS. Every large read returns a fresh Buffer (malloc'd); the collector frees them
 * in bulk, tens of MiB per scavenge, and glibc, whose trim threshold is 128 KiB until it frees an
 * mmapped chunk, gives the top of its heap back to the kernel (brk) on those frees and takes it
 * again on the next reads, each page faulted in and zeroed anew. Measured (bench/read-gc-probe.ts,
 * 20k x 64 KiB compacted, strace -c): 19k-37k brk calls and 2-10 faults per read in ~270k reads,
 * sys time 23-35 µs per read against ~12 µs without. glibc raises its mmap threshold to the size
 * of an mmapped chunk freed (at most 32 MiB on 64-bit) and its trim threshold to twice that, so
 * once this thread has read MALLOC_RAISE_AFTER bytes of large entries, read() allocates and drops
 * one untouched ArrayBuffer of MALLOC_RAISE_BYTES (mmapped, never resident): from its collection
 * on, the heap keeps up to 64 MiB free at its top (~400 brk calls, no faults, in the same run).
 * The same raise happens already whenever a memtable arena (17 MiB) is collected
 * (engine/memory-budget.ts, GLIBC_THRESHOLDS, which says what it costs the RSS of small-value
 * workloads: those never read large entries, so they never take this one). Elsewhere than glibc
 * it is one short-lived allocation of untouched pages.
 */
export const MALLOC_RAISE_BYTES = 32 * 1024 * 1024 - 64 * 1024
/** Bytes of large entries read before the raise: more than a heap of that size gives back once. */
export const MALLOC_RAISE_AFTER = 64 * 1024 * 1024
let largeReadBytes = 0
let mallocRaised = false

/** Whether this thread has made the MALLOC_THRESHOLDS allocation (for its test). */
export function mallocThresholdsRaised(): boolean {
  return mallocRaised
}

function countLargeRead(length: number): void {
  largeReadBytes += length
  if (largeReadBytes < MALLOC_RAISE_AFTER) return
  mallocRaised = true
  // Dropped at once: only its free() matters, at the collection after this read.
  void new ArrayBuffer(MALLOC_RAISE_BYTES)
}

export class ValueLog {
  private readonly fs: FileSystem
  private readonly dir: string
  private readonly options: ValueLogOptions
  private active: ActiveFile | undefined
  /** Entries appended since the last sync. */
  private unsynced = false
  /** Appends so far: a sync covers those made before it started. */
  private appends = 0
  /**
   * The first failed write, create or fsync. Once set the value log refuses every append, sync and
   * new file: after a failed fsync the bytes it covered may be gone whatever a later one says.
   */
  private failure: unknown = undefined
  /** The active file's length as of its last sync. */
  private syncedEnd = 0
  /** The active file's length after its last durable marker (seal()). */
  private sealedEnd = 0
  /**
   * Open readers and when each was last used (a tick of `uses`). The Map is changed only when a
   * file is opened or closed, never per read: moving an entry to the end on every read that
   * switched files rehashed the Map's table every few reads, and those tables, referenced from an
   * old object, were promoted, a steady old-generation allocation that made V8 size the old
   * generation's limit at its minimum growth (readers of 64 KiB values then ran one mark-compact
   * after another).
   */
  private readonly readers = new Map<number, { file: ReadableFile; used: number }>()
  private uses = 0
  /** Live files and their sizes in bytes. */
  readonly sizes = new Map<number, number>()

  constructor(fs: FileSystem, dir: string, options: ValueLogOptions) {
    this.fs = fs
    this.dir = dir
    this.options = options
  }

  path(number: number): string {
    return filePath(this.dir, vlogFileName(number))
  }

  /**
   * Takes over the files the manifest lists. The newest file that is not a whole one (version 3)
   * may end in a torn tail (a crash during an append): its valid length becomes the file's size
   * here; sealNewest() makes that durable once the caller has checked the WAL's claims against it.
   * What counts as torn depends on the file's version: in version 1, a bad entry with no valid
   * entry anywhere after it; in version 2, a bad entry that no durable marker after it claims
   * (later valid entries are unsynced writes that reached the disk first); a whole file, whatever
   * its number, was synced before the manifest listed it and cannot be torn. Anything else is
   * damage: CorruptionError. Returns where the tail ends, if it is torn.
   */
  async recover(numbers: number[]): Promise<{ file: string; offset: number } | undefined> {
    const sorted = numbers.slice().sort((a, b) => a - b)
    let torn: { file: string; offset: number } | undefined
    this.newest = undefined
    const versions = new Map<number, number>()
    for (const n of sorted) {
      const path = this.path(n)
      if (!this.fs.exists(path)) throw new CorruptionError(path, 0, 'value-log file listed in the manifest is missing')
      const f = this.fs.openRead(path)
      try {
        // Files that are not the newest are read only through pointers (and by verify): their
        // header is checked here, the rest when read.
        versions.set(n, checkFileHeader(path, f.read(0, VLOG_HEADER_SIZE)))
        this.sizes.set(n, f.size)
      } finally {
        f.close()
      }
    }
    const appendable = sorted.filter((n) => versions.get(n) !== VLOG_FORMAT_WHOLE)
    if (appendable.length === 0) return undefined
    const n = appendable[appendable.length - 1]
    const version = versions.get(n)!
    const path = this.path(n)
    const f = this.fs.openRead(path)
    try {
      let size = f.size
      // A file ending in a marker (a clean close) is claimed up to it: no new marker needed.
      let endsWithMarker = false
      const valid = this.scanFile(f, () => (endsWithMarker = false), true, size, () => (endsWithMarker = true))
      let zeroTail = false
      if (valid < size && allZeroFrom(f, valid, size)) {
        // The preallocated zeros past the last append (VLOG_PREALLOCATE): the clean end of
        // the file, cut by sealNewest(), not a torn tail.
        zeroTail = true
      } else if (valid < size) {
        const rest = f.read(0, size)
        if (version >= VLOG_FORMAT_MARKERS) {
          const { marker } = claimPast(rest, valid)
          if (marker !== undefined) {
            throw new CorruptionError(path, valid, `value-log entry is damaged; the marker at ${marker.offset} says the file was synced through ${marker.claim}`)
          }
        } else {
          const next = findValidEntry(rest, valid + 1)
          if (next >= 0) throw new CorruptionError(path, valid, `value-log entry is damaged; a valid entry follows at ${next}`)
        }
        torn = { file: path, offset: valid }
      }
      size = valid
      this.newest = { number: n, path, version, size, endsWithMarker, cut: torn !== undefined || zeroTail }
      this.sizes.set(n, size)
    } finally {
      f.close()
    }
    return torn
  }

  /**
   * Adds a whole file (version 3) a flush wrote, of `size` bytes, to the live set. requires: the
   * manifest edit that lists it is durable, and nothing reads a pointer into it before this.
   */
  addWholeFile(number: number, size: number): void {
    this.sizes.set(number, size)
  }

  /** What recover() found of the newest file, for sealNewest(). */
  private newest: { number: number; path: string; version: number; size: number; endsWithMarker: boolean; cut: boolean } | undefined

  /**
   * Makes the newest file's recovered state durable before anything relies on it: cuts the torn
   * tail or zero tail recover() found, syncs the file (a process killed before a power loss leaves
   * unsynced bytes that recovery read), and in version 2 appends and syncs a marker claiming all of it.
   * Idempotent: a crash anywhere in it leaves a file the next recover() reads the same or shorter
   * (only by unsynced bytes no table or WAL replay has relied on yet).
   */
  async sealNewest(): Promise<void> {
    const t = this.newest
    if (t === undefined) return
    this.newest = undefined
    if (t.cut) this.fs.truncate(t.path, t.size)
    const w = this.fs.openAppend(t.path)
    try {
      await w.sync()
      if (this.options.markReopenedFiles !== false && t.version >= VLOG_FORMAT_MARKERS && t.size > VLOG_HEADER_SIZE && !t.endsWithMarker) {
        const marker = encodeMarker(t.size)
        w.append(marker)
        await w.sync()
        this.sizes.set(t.number, t.size + marker.length)
      }
    } finally {
      await w.close()
    }
  }

  /**
   * Syncs the active file and appends (and syncs) a durable marker claiming what is synced, when
   * anything new was synced since the last one: bytes a WAL record no longer vouches for (its WAL
   * is about to be replaced by a table, or the file closed) stay told apart from a torn tail.
   * `closing`: the file is about to be closed (closeActive() next): endPreallocation() first.
   */
  async seal(closing = false): Promise<void> {
    const a = this.active
    // After a failure nothing can be vouched for: no marker (close() still closes).
    if (a === undefined || this.failure !== undefined) return
    if (closing) this.endPreallocation()
    await this.sync()
    if (this.active !== a || this.syncedEnd <= this.sealedEnd) return
    const marker = encodeMarker(this.syncedEnd)
    this.guardSync(() => a.file.append(marker))
    this.sizes.set(a.number, this.sizes.get(a.number)! + marker.length)
    this.unsynced = true
    await this.sync()
    if (this.active === a) this.sealedEnd = this.syncedEnd
  }

  /**
   * The active file is about to be closed: its preallocated zero tail is cut and no more zeros
   * are written, so the syncs before its close write none and the next one makes the cut durable.
   */
  endPreallocation(): void {
    const a = this.active
    if (a !== undefined && this.failure === undefined) this.guardSync(() => a.file.trim?.())
  }

  /** True when `bytes` more cannot go to the active file (or there is none). */
  needsNewFile(bytes: number): boolean {
    const a = this.active
    if (a === undefined) return true
    const size = this.sizes.get(a.number)!
    return a.entries >= this.options.maxEntries || (size > VLOG_HEADER_SIZE && size + bytes > this.options.maxFileSize)
  }

  get activeNumber(): number | undefined {
    return this.active?.number
  }

  /**
   * Creates file `number` (header written and synced, name synced) and makes it the active one.
   * The previous active file is synced and closed. The caller records the file in the manifest
   * before appending to it.
   */
  async startFile(number: number): Promise<void> {
    await this.seal(true)
    await this.closeActive()
    const file = await this.guard(async () => {
      const f = this.fs.create(this.path(number), { preallocate: VLOG_PREALLOCATE })
      f.append(encodeFileHeader())
      await f.sync()
      await this.fs.syncDir(this.dir)
      return f
    })
    this.active = { number, file, entries: 0 }
    this.syncedEnd = VLOG_HEADER_SIZE
    this.sealedEnd = VLOG_HEADER_SIZE
    this.sizes.set(number, VLOG_HEADER_SIZE)
  }

  /**
   * Appends entries to the active file in one write; returns their pointers in order.
   * requires: an active file (startFile), and needsNewFile() was consulted for the total size.
   */
  append(entries: ValueLogEntry[]): ValuePointer[] {
    this.checkUsable()
    const a = this.active!
    let total = 0
    for (const e of entries) total += entrySize(e.key, e.value)
    const base = this.sizes.get(a.number)!
    const pointers: ValuePointer[] = []
    if (total <= APPEND_SCRATCH_MAX) {
      // One buffer reused across appends (file.append lets the caller reuse its data): a fresh
      // zero-filled array per append cost a 16 KiB value's synced put several microseconds.
      const buf = this.appendScratch(total)
      let at = 0
      for (const e of entries) {
        encodeEntry(buf, at, e.key, e.seq, 0, e.value)
        const length = entrySize(e.key, e.value)
        pointers.push({ fileNumber: a.number, offset: base + at, length })
        at += length
      }
      this.guardSync(() => a.file.append(buf))
    } else {
      this.appendInPieces(entries, a, base, pointers)
    }
    this.unsynced = true
    this.appends++
    a.entries += entries.length
    this.sizes.set(a.number, base + total)
    return pointers
  }

  /**
   * append() of more than APPEND_SCRATCH_MAX bytes: the entries go through the reused buffer in
   * pieces of at most that size, one file.append each, in order (an entry larger than the
   * buffer gets a buffer of its own). One fresh array for the whole append (6.4 MiB for a batch
   * of 100 x 64 KiB) was zero-filled, faulted in page by page and freed only when the collector
   * got to it: 64 KiB fillseq took 9-22 page faults per put at d6982df against 2-8 at c5739c6
   * (likely fewer scavenges once the write path allocated less, so more such arrays waited to be
   * freed), and the pieces take 2-3. A failed append fails the value log (guardSync) whichever
   * piece it was, as a short write of one large append would.
   */
  private appendInPieces(entries: ValueLogEntry[], a: ActiveFile, base: number, pointers: ValuePointer[]): void {
    const buf = this.appendScratch(APPEND_SCRATCH_MAX)
    let used = 0
    let offset = base
    for (const e of entries) {
      const length = entrySize(e.key, e.value)
      if (used + length > buf.length && used > 0) {
        const piece = buf.subarray(0, used)
        this.guardSync(() => a.file.append(piece))
        used = 0
      }
      if (length > buf.length) {
        const own = new Uint8Array(length)
        encodeEntry(own, 0, e.key, e.seq, 0, e.value)
        this.guardSync(() => a.file.append(own))
      } else {
        encodeEntry(buf, used, e.key, e.seq, 0, e.value)
        used += length
      }
      pointers.push({ fileNumber: a.number, offset, length })
      offset += length
    }
    if (used > 0) {
      const piece = buf.subarray(0, used)
      this.guardSync(() => a.file.append(piece))
    }
  }

  private scratch = new Uint8Array(0)

  /** A view of `size` bytes of the reused append buffer (every byte is written by the caller). */
  private appendScratch(size: number): Uint8Array {
    if (this.scratch.length < size) this.scratch = new Uint8Array(Math.max(size, Math.min(APPEND_SCRATCH_MAX, this.scratch.length * 2)))
    return this.scratch.subarray(0, size)
  }

  /**
   * Makes every appended entry durable. Not an async function: a synced group with large values
   * waits on this and the WAL's fsync together, and each async frame is another microtask between
   * the fsync's completion and the writer's next put.
   */
  sync(): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure)
    const a = this.active
    if (!this.unsynced || a === undefined) return RESOLVED
    const end = this.sizes.get(a.number)!
    const appends = this.appends
    let syncing: Promise<void>
    try {
      syncing = a.file.sync()
    } catch (err) {
      this.failure ??= err
      return Promise.reject(err)
    }
    return syncing.then(
      () => {
        // The flag is cleared only once the fsync has succeeded: a failed one fails the value log.
        if (this.appends === appends) this.unsynced = false
        if (this.active === a) this.syncedEnd = Math.max(this.syncedEnd, end)
      },
      (err: unknown) => {
        this.failure ??= err
        throw err
      },
    )
  }

  /** The first failure of a write, create or fsync, if any (then every later write throws it). */
  get failed(): unknown {
    return this.failure
  }

  private checkUsable(): void {
    if (this.failure !== undefined) throw this.failure
  }

  private async guard<T>(step: () => Promise<T>): Promise<T> {
    this.checkUsable()
    try {
      return await step()
    } catch (err) {
      this.failure ??= err
      throw err
    }
  }

  private guardSync(step: () => void): void {
    this.checkUsable()
    try {
      step()
    } catch (err) {
      this.failure ??= err
      throw err
    }
  }

  /** The active file and how much of it is durable, or undefined before the first file. */
  get durableEnd(): { readonly fileNumber: number; readonly end: number } | undefined {
    const a = this.active
    if (a === undefined) return undefined
    // The same object while nothing changed: every WAL record asks (a synced writer's path).
    const c = this.claim
    if (c !== undefined && c.fileNumber === a.number && c.end === this.syncedEnd) return c
    return (this.claim = { fileNumber: a.number, end: this.syncedEnd })
  }

  /** durableEnd's last answer. */
  private claim: { readonly fileNumber: number; readonly end: number } | undefined = undefined

  /** True when entries were appended since the last sync. */
  get hasUnsynced(): boolean {
    return this.unsynced
  }

  async closeActive(): Promise<void> {
    const a = this.active
    if (a === undefined) return
    if (this.failure !== undefined) {
      // Nothing more can be made durable: close without an fsync that would vouch for lost bytes.
      this.active = undefined
      await a.file.close()
      return
    }
    // The zero tail is cut before this sync (if seal(true) did not already), which makes the cut
    // durable before any newer file exists: only the newest file may end in zeros after a crash.
    this.endPreallocation()
    await this.guard(() => a.file.sync())
    this.active = undefined
    this.unsynced = false
    await a.file.close()
  }

  /**
   * The value a pointer leads to, checked against its entry's checksum and `key`. The result is
   * the caller's: a slice of Node's buffer pool (small entries) or a view of a buffer of its own.
   */
  read(p: ValuePointer, key: Uint8Array): Buffer {
    // The path is built only for an error: on every read it cost as much as the checks.
    const size = this.sizes.get(p.fileNumber)
    if (size === undefined) throw new CorruptionError(this.path(p.fileNumber), p.offset, 'value pointer into a value-log file that is not live')
    if (p.offset < VLOG_HEADER_SIZE || p.offset + p.length > size) {
      throw new CorruptionError(this.path(p.fileNumber), p.offset, `value pointer past the end of the file (${size} bytes)`)
    }
    const file = this.reader(p.fileNumber)
    // Small entries are read into one scratch buffer and their value copied into Node's buffer
    // pool: a fresh ArrayBuffer per read cost more than the read's checksum (1 KiB values).
    // Larger ones are read into a Buffer of their own, which the value is a view of, with no copy;
    // checkEntry() verifies them in place (decodeEntry's DataView, views and object were ~5
    // short-lived objects per read).
    const small = p.length <= POOLED_ENTRY_MAX
    let buf: Uint8Array
    let got: number
    if (file.readInto !== undefined) {
      if (small) {
        if (readScratch.length < p.length) readScratch = new Uint8Array(POOLED_ENTRY_MAX)
        buf = readScratch
      } else {
        // Not zero-filled: every byte is read over, or the read comes up short and fails the check.
        buf = Buffer.allocUnsafeSlow(p.length)
      }
      got = file.readInto(p.offset, p.length, buf)
    } else {
      const r = file.read(p.offset, p.length)
      buf = Buffer.from(r.buffer, r.byteOffset, r.length)
      got = r.length
    }
    if (!small && !mallocRaised) countLargeRead(p.length)
    const at = got === p.length ? checkEntry(buf, p.length, key) : CHECK_BAD
    if (at === CHECK_BAD) throw new CorruptionError(this.path(p.fileNumber), p.offset, 'value-log entry checksum mismatch')
    if (at === CHECK_OTHER_KEY) throw new CorruptionError(this.path(p.fileNumber), p.offset, 'value-log entry holds another key')
    if (buf !== readScratch) return (buf as Buffer).subarray(at, p.length)
    const out = Buffer.allocUnsafe(p.length - at)
    out.set(buf.subarray(at, p.length))
    return out
  }

  private reader(number: number): ReadableFile {
    const r = this.readers.get(number)
    if (r !== undefined) {
      r.used = ++this.uses
      return r.file
    }
    const file = this.fs.openRead(this.path(number))
    this.readers.set(number, { file, used: ++this.uses })
    if (this.readers.size > this.options.maxOpenFiles) {
      // The least recently used goes: a walk of at most maxOpenFiles entries, only when a file opens.
      let oldest = -1
      let oldestUse = Infinity
      for (const [n, e] of this.readers) {
        if (e.used < oldestUse) {
          oldest = n
          oldestUse = e.used
        }
      }
      this.readers.get(oldest)!.file.close()
      this.readers.delete(oldest)
    }
    return file
  }

  /**
   * Calls `onEntry` for every entry of file `number` with its offset. A bad entry is corruption
   * (the file is not the one being written, so it cannot be torn).
   */
  scan(number: number, onEntry: (entry: DecodedEntry, offset: number) => void): void {
    this.scanFrom(number, VLOG_HEADER_SIZE, onEntry)
  }

  /**
   * scan() from the entry at `from`, stopping early when `onEntry` returns false (after that
   * entry). Returns the offset of the next entry, the file's size once all were seen. Only one
   * entry's bytes are held at a time, so a caller can walk a large file in bounded pieces.
   */
  scanFrom(number: number, from: number, onEntry: (entry: DecodedEntry, offset: number) => boolean | void): number {
    const f = this.fs.openRead(this.path(number))
    try {
      const size = this.sizes.get(number) ?? f.size
      let stopped = false
      const valid = this.scanFile(f, (e, at) => {
        if (onEntry(e, at) === false) stopped = true
      }, false, size, undefined, from, () => stopped)
      if (!stopped && valid < size) {
        // An all-zero rest is the clean end (the active file's preallocated tail, VLOG_PREALLOCATE).
        if (allZeroFrom(f, valid, size)) return valid
        throw new CorruptionError(f.path, valid, 'value-log entry is damaged')
      }
      return valid
    } finally {
      f.close()
    }
  }

  /**
   * Walks entries from the header; returns the offset where they stop being valid. With
   * `tolerant`, a bad entry ends the walk (a torn tail); otherwise a bad entry with more after
   * it is corruption.
   */
  private scanFile(
    f: ReadableFile, onEntry: (e: DecodedEntry, offset: number) => void, tolerant: boolean, size = f.size,
    onMarker?: (claim: number) => void, from = VLOG_HEADER_SIZE, stop?: () => boolean,
  ): number {
    let at = from
    while (at < size && stop?.() !== true) {
      const head = f.read(at, Math.min(ENTRY_HEADER_SIZE, size - at))
      if (head.length < ENTRY_HEADER_SIZE) return at
      const length = entryLengthAt(head, 0)
      // An entry claiming past the end is a torn append or the start of a zero tail: either way
      // the valid entries stop here, and the callers tell the two apart (allZeroFrom).
      if (at + length > size) return at
      const e = decodeEntry(f.read(at, length), 0)
      if (typeof e === 'number') {
        if (e === ENTRY_END || e === ENTRY_TRUNCATED || tolerant) return at
        throw new CorruptionError(f.path, at, 'value-log entry checksum mismatch')
      }
      const claim = markerClaim(e)
      if (claim === undefined) onEntry(e, at)
      else onMarker?.(claim)
      at += length
    }
    return at
  }

  /** Deletes a retired file. requires: no manifest entry and no reader can reach it. */
  remove(number: number): void {
    this.readers.get(number)?.file.close()
    this.readers.delete(number)
    this.sizes.delete(number)
    this.fs.remove(this.path(number))
  }

  async close(): Promise<void> {
    for (const r of this.readers.values()) r.file.close()
    this.readers.clear()
    try {
      await this.seal(true)
    } finally {
      await this.closeActive()
    }
  }
}

/** True when every byte of `f` in [from, end) is zero; reads at most 64 KiB at a time. */
export function allZeroFrom(f: ReadableFile, from: number, end: number): boolean {
  for (let at = from; at < end; ) {
    const piece = f.read(at, Math.min(end - at, 64 * 1024))
    if (piece.length === 0) return false
    for (let i = 0; i < piece.length; i++) if (piece[i] !== 0) return false
    at += piece.length
  }
  return true
}
