// MemFileSystem: an in-memory FileSystem that can crash, for tests. Synchronous and deterministic.
//
// It keeps two states apart so it can simulate a power loss:
// - Bytes: each file is an inode with its bytes and a `syncedLength`. append() grows the bytes,
//   WritableFile.sync() makes syncedLength = length.
// - Names: the *current* names (what openRead/list/exists see) and the *durable* names. create,
//   rename and remove change the current names at once and queue a name operation on the
//   directory; syncDir(dir) replays that directory's queue onto the durable names. mkdir and
//   lock files are durable at once.
//
// Pessimistic choices, stated once:
// - truncate(path, n) cuts the current bytes at once; the durable bytes become the first
//   min(syncedLength, n), so a crash before the next sync of the file keeps no more than n bytes
//   and may keep fewer. create() over an existing file truncates it to 0 the same way.
// - sync() makes durable exactly the bytes appended before the call, at the moment of the call.
// - create(path, { preallocate }) writes the zeros at sync() time as RealFileSystem does, and the
//   appends after them overwrite zeros in place; each such write remembers the bytes it replaced,
//   so a crash that loses it shows those (synced zeros) again. Both crash models apply: 'prefix'
//   keeps the unsynced writes up to a random offset, 'any' keeps pieces of them.
//
// Faults:
// - crashAfter(n): the n-th mutating operation from now fails with CrashError, without effect,
//   and every later call fails too: the process is dead. onOperation lets a test pick the op.
// - crash(): a NEW instance holding what the disk shows after a power loss (see CrashOptions).
// - restart(): a NEW instance as a process finds it after the last one was killed: everything,
//   unsynced bytes and names included, still unsynced (a later crash() may lose them).
//   Two models of the unsynced bytes: a prefix of them, maybe with a torn last sector (the
//   default), or `writeback: 'any'`, LazyFS's model: any subset of the unsynced writes, each split
//   at 4 KiB page boundaries into pieces that survive independently; the gaps read as zeros.
// - flipBit / truncateFile: damage applied to both current and durable state.
//
// Mutating operations (each call counts in opCount, even one that then fails with NotFoundError):
// create, openAppend, append, sync, truncate, rename, remove, mkdir, syncDir. After a crash every
// call throws CrashError, close() and FileLock.release() included. Paths are normalized with
// posix.normalize; a file's parent directory must exist ('/' and '.' always do).

import { posix } from 'node:path'
import { InvalidArgumentError, IOError, LockError, NotFoundError } from './errors.js'
import { mulberry32 } from './random.js'
import { assert } from './assert.js'
import { type CreateOptions, type FileLock, type FileSystem, type LockMode, type ReadableFile, type WritableFile, preallocatedAhead } from './fs.js'

/** Thrown by every call on a MemFileSystem after an injected crash: the process is dead. */
export class CrashError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CrashError'
  }
}

export type MemOperationKind =
  | 'create'
  | 'openAppend'
  | 'append'
  | 'sync'
  | 'truncate'
  | 'rename'
  | 'remove'
  | 'mkdir'
  | 'syncDir'

export interface MemOperation {
  kind: MemOperationKind
  path: string
  /** The destination of a rename. */
  to?: string
  /** The 1-based number of this operation in the instance's life (opCount once it succeeds). */
  count: number
}

export interface CrashOptions {
  /** Seeds every random choice; the same seed on the same history gives the same result. Default 1. */
  seed?: number
  /**
   * Keep a random prefix (0..all) of each file's unsynced tail, sometimes with its last few bytes
   * garbled (a torn sector). When false every unsynced byte is lost. Default true.
   */
  tearUnsynced?: boolean
  /**
   * Apply a random prefix of each directory's unsynced name operations, in order (as a
   * journaling file system may have). When false none survive. Default false.
   */
  keepUnsyncedNameOps?: boolean
  /**
   * 'prefix' (default): the unsynced tail survives as a prefix (see tearUnsynced). 'any': every
   * unsynced write is cut at page boundaries (WRITEBACK_PAGE) and each piece survives or not on
   * its own, as a page cache writes dirty pages back in any order; the file ends after the last
   * surviving piece and the gaps before it are zeros. tearUnsynced is ignored then.
   */
  writeback?: 'prefix' | 'any'
}

/** The page size of the 'any' writeback model: the unit a kernel writes back on its own. */
export const WRITEBACK_PAGE = 4096

/** [start, end) of one unsynced write, and the bytes it replaced when it overwrote some. */
type UnsyncedWrite = [number, number, Uint8Array?]

class Inode {
  data: Uint8Array
  length = 0
  syncedLength = 0
  /**
   * The writes since the last sync, as [start, end) ranges: the pieces the 'any' model draws
   * from. A write over existing bytes (a preallocated zero tail) also holds the bytes it replaced.
   */
  unsynced: UnsyncedWrite[] = []

  constructor(capacity = 64) {
    this.data = new Uint8Array(capacity)
  }

  append(src: Uint8Array): void {
    const need = this.length + src.length
    if (need > this.data.length) this.grow(need)
    this.data.set(src, this.length)
    if (src.length > 0) this.unsynced.push([this.length, need])
    this.length = need
  }

  /** Writes `src` at `at`, over the bytes there (a preallocated tail) and past the end. */
  write(at: number, src: Uint8Array): void {
    if (at === this.length) return this.append(src)
    assert(at >= 0 && at < this.length, `Inode.write at ${at} of ${this.length} bytes`)
    const end = at + src.length
    if (src.length === 0) return
    const replaced = this.data.slice(at, Math.min(end, this.length))
    if (end > this.data.length) this.grow(end)
    this.data.set(src, at)
    this.unsynced.push([at, end, replaced])
    if (end > this.length) this.length = end
  }

  /** True when some unsynced write replaced bytes (the crash models must restore them). */
  hasOverwrites(): boolean {
    for (const w of this.unsynced) if (w[2] !== undefined) return true
    return false
  }

  /** The bytes as of the last sync: [0, syncedLength) with every unsynced overwrite undone. */
  syncedImage(): Uint8Array {
    const image = this.data.slice(0, this.syncedLength)
    for (let i = this.unsynced.length - 1; i >= 0; i--) {
      const [start, , replaced] = this.unsynced[i]
      if (replaced === undefined || start >= image.length) continue
      image.set(replaced.subarray(0, image.length - start), start)
    }
    return image
  }

  markSynced(): void {
    this.syncedLength = this.length
    this.unsynced = []
  }

  /** Cuts (or zero-extends) the bytes; see the header for what stays durable. */
  resize(n: number): void {
    if (n > this.data.length) this.grow(n)
    if (n > this.length) this.data.fill(0, this.length, n)
    this.length = n
    this.syncedLength = Math.min(this.syncedLength, n)
    this.unsynced = this.unsynced.filter(([start]) => start < n).map(([start, end, replaced]): UnsyncedWrite =>
      replaced === undefined ? [start, Math.min(end, n)] : [start, Math.min(end, n), replaced.subarray(0, Math.min(end, n) - start)])
  }

  private grow(need: number): void {
    let cap = this.data.length * 2
    while (cap < need) cap *= 2
    const next = new Uint8Array(cap)
    next.set(this.data.subarray(0, this.length))
    this.data = next
  }
}

// The 'any' writeback model: the synced bytes, then each page-sized piece of each unsynced write
// kept or dropped on its own. Each file draws its own keep rate, so some crashes keep nearly all
// of a file's pieces and some nearly none.
function survivingPieces(inode: Inode, random: () => number): Inode {
  const rate = random()
  const kept: [number, number][] = []
  for (const [start, end] of inode.unsynced) {
    for (let at = start; at < end; ) {
      const pieceEnd = Math.min(end, (Math.floor(at / WRITEBACK_PAGE) + 1) * WRITEBACK_PAGE)
      if (random() < rate) kept.push([at, pieceEnd])
      at = pieceEnd
    }
  }
  let length = inode.syncedLength
  for (const [, end] of kept) length = Math.max(length, end)
  const copy = new Inode(Math.max(64, length))
  copy.data.set(inode.hasOverwrites() ? inode.syncedImage() : inode.data.subarray(0, inode.syncedLength))
  for (const [start, end] of kept) copy.data.set(inode.data.subarray(start, end), start)
  copy.length = length
  copy.syncedLength = length
  return copy
}

/** A queued change to the names of one directory. A cross-directory rename sits in both queues. */
type NameOp =
  | { kind: 'create'; path: string; inode: Inode }
  | { kind: 'rename'; from: string; to: string; inode: Inode }
  | { kind: 'remove'; path: string; inode: Inode }

// Replays `op` onto `names`, touching only entries of `dir`: fsync of a directory persists that
// directory's entries, so each side of a cross-directory rename becomes durable with its own dir.
function applyNameOp(names: Map<string, Inode>, op: NameOp, dir: string): void {
  switch (op.kind) {
    case 'create':
      names.set(op.path, op.inode)
      break
    case 'rename':
      if (posix.dirname(op.from) === dir && names.get(op.from) === op.inode) names.delete(op.from)
      if (posix.dirname(op.to) === dir) names.set(op.to, op.inode)
      break
    case 'remove':
      if (names.get(op.path) === op.inode) names.delete(op.path)
      break
  }
}

function normalize(path: string): string {
  const p = posix.normalize(path)
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p
}

export class MemFileSystem implements FileSystem {
  /** Mutating operations that succeeded in this instance's life. */
  opCount = 0
  /** Called before each mutating operation; may call crashAfter(1) to make this very op fail. */
  onOperation?: (op: MemOperation) => void

  private current = new Map<string, Inode>()
  private durable = new Map<string, Inode>()
  private dirs = new Set<string>(['/', '.'])
  private pending = new Map<string, NameOp[]>()
  private locks = new Set<string>()
  /** Shared (read-only) holders per LOCK path; they leave no file behind, unlike the exclusive one. */
  private sharedLocks = new Map<string, number>()
  private crashCountdown = 0
  private crashed = false

  // ---- crash injection ----

  /** The n-th mutating operation from now (1 = the next) and every call after it throw CrashError. */
  crashAfter(n: number): void {
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`crashAfter(${n}): n must be >= 1`)
    this.crashCountdown = n
  }

  isCrashed(): boolean {
    return this.crashed
  }

  /** What a machine finds after power loss now: a new, uncrashed instance. See CrashOptions. */
  crash(options: CrashOptions = {}): MemFileSystem {
    const random = mulberry32(options.seed ?? 1)
    const tear = options.tearUnsynced ?? true
    const anyOrder = options.writeback === 'any'
    const names = new Map(this.durable)
    if (options.keepUnsyncedNameOps) {
      for (const dir of [...this.pending.keys()].sort()) {
        const ops = this.pending.get(dir)!
        const keep = Math.floor(random() * (ops.length + 1))
        for (let i = 0; i < keep; i++) applyNameOp(names, ops[i], dir)
      }
    }
    const next = new MemFileSystem()
    for (const dir of this.dirs) next.dirs.add(dir)
    const copies = new Map<Inode, Inode>()
    for (const path of [...names.keys()].sort()) {
      const inode = names.get(path)!
      let copy = copies.get(inode)
      if (copy === undefined) {
        copy = anyOrder ? survivingPieces(inode, random) : this.survivingCopy(inode, tear, random)
        copies.set(inode, copy)
      }
      next.current.set(path, copy)
      next.durable.set(path, copy)
    }
    return next
  }

  /**
   * What a new process finds after this one was killed (kill -9) but the machine kept running: a
   * new, uncrashed instance with every current name and byte, the page cache included, and the
   * same unsynced state, so a later crash() of it still loses what was never synced. Locks are not
   * held any more (the kernel drops them with the process); a LOCK file stays, as on a disk.
   */
  restart(): MemFileSystem {
    const next = new MemFileSystem()
    for (const dir of this.dirs) next.dirs.add(dir)
    const copies = new Map<Inode, Inode>()
    const copyOf = (inode: Inode): Inode => {
      let copy = copies.get(inode)
      if (copy === undefined) {
        copy = new Inode(Math.max(64, inode.length))
        copy.data.set(inode.data.subarray(0, inode.length))
        copy.length = inode.length
        copy.syncedLength = inode.syncedLength
        copy.unsynced = inode.unsynced.map((w): UnsyncedWrite => [...w])
        copies.set(inode, copy)
      }
      return copy
    }
    for (const [path, inode] of this.current) next.current.set(path, copyOf(inode))
    for (const [path, inode] of this.durable) next.durable.set(path, copyOf(inode))
    for (const [dir, ops] of this.pending) {
      next.pending.set(dir, ops.map((op) => ({ ...op, inode: copyOf(op.inode) })))
    }
    return next
  }

  private survivingCopy(inode: Inode, tear: boolean, random: () => number): Inode {
    if (inode.hasOverwrites()) return this.survivingOverwrites(inode, tear, random)
    const unsynced = inode.length - inode.syncedLength
    let keep = inode.syncedLength
    if (tear && unsynced > 0) keep += Math.floor(random() * (unsynced + 1))
    const copy = new Inode(Math.max(64, keep))
    copy.data.set(inode.data.subarray(0, keep))
    copy.length = keep
    copy.syncedLength = keep
    // A torn sector: the last few bytes written but never synced hold garbage.
    if (keep > inode.syncedLength && random() < 0.25) {
      const from = Math.max(inode.syncedLength, keep - 1 - Math.floor(random() * 8))
      for (let i = from; i < keep; i++) copy.data[i] = Math.floor(random() * 256)
    }
    return copy
  }

  /**
   * survivingCopy() of a file with writes over existing bytes (a preallocated zero tail): the
   * unsynced writes survive up to a random offset K (between the first byte any of them wrote and
   * the last), as a prefix would; past K every byte is as of the last sync.
   */
  private survivingOverwrites(inode: Inode, tear: boolean, random: () => number): Inode {
    let lo = inode.syncedLength
    let hi = inode.syncedLength
    for (const [start, end] of inode.unsynced) {
      lo = Math.min(lo, start)
      hi = Math.max(hi, end)
    }
    const keep = tear ? lo + Math.floor(random() * (hi - lo + 1)) : lo
    const image = inode.syncedImage()
    const length = Math.max(inode.syncedLength, keep)
    const copy = new Inode(Math.max(64, length))
    copy.data.set(inode.data.subarray(0, keep))
    if (keep < image.length) copy.data.set(image.subarray(keep), keep)
    copy.length = length
    copy.syncedLength = length
    // A torn sector: the last few bytes written but never synced hold garbage.
    if (keep > lo && random() < 0.25) {
      const from = Math.max(lo, keep - 1 - Math.floor(random() * 8))
      for (let i = from; i < keep; i++) {
        if (inode.unsynced.some(([start, end]) => i >= start && i < end)) copy.data[i] = Math.floor(random() * 256)
      }
    }
    return copy
  }

  // ---- helpers for corruption tests (durable at once, not counted, not crash-checked) ----

  /** Inverts one bit (bit 0 is the lowest bit of byte 0) of the file at `path`. */
  flipBit(path: string, bitIndex: number): void {
    const p = normalize(path)
    const inode = this.inodeOf(p)
    const byte = Math.floor(bitIndex / 8)
    if (!Number.isInteger(bitIndex) || bitIndex < 0 || byte >= inode.length) {
      throw new InvalidArgumentError(`flipBit: bit ${bitIndex} is outside ${p} (${inode.length} bytes)`)
    }
    inode.data[byte] ^= 1 << (bitIndex % 8)
  }

  /** Cuts the file at `path` to `length` bytes, in current and durable state. */
  truncateFile(path: string, length: number): void {
    const p = normalize(path)
    const inode = this.inodeOf(p)
    if (!Number.isInteger(length) || length < 0 || length > inode.length) {
      throw new InvalidArgumentError(`truncateFile: ${length} is outside ${p} (${inode.length} bytes)`)
    }
    inode.resize(length)
  }

  /** Path → a copy of the bytes, for every current file, in path order. */
  snapshotFiles(): Map<string, Uint8Array> {
    const out = new Map<string, Uint8Array>()
    for (const path of [...this.current.keys()].sort()) {
      const inode = this.current.get(path)!
      out.set(path, inode.data.slice(0, inode.length))
    }
    return out
  }

  // ---- FileSystem ----

  openRead(path: string): ReadableFile {
    this.checkAlive()
    const p = normalize(path)
    return new MemReadableFile(this, p, this.inodeOf(p))
  }

  create(path: string, options?: CreateOptions): WritableFile {
    const p = normalize(path)
    const preallocate = options?.preallocate ?? 0
    if (!Number.isInteger(preallocate) || preallocate < 0) throw new InvalidArgumentError(`create ${p}: bad preallocate ${preallocate}`)
    this.gate('create', p)
    const existing = this.current.get(p)
    if (existing !== undefined) {
      existing.resize(0)
      return new MemWritableFile(this, p, existing, preallocate)
    }
    this.requireParent(p)
    if (this.dirs.has(p)) throw new IOError(`create ${p}: is a directory`)
    const inode = new Inode()
    this.current.set(p, inode)
    this.queue(posix.dirname(p), { kind: 'create', path: p, inode })
    return new MemWritableFile(this, p, inode, preallocate)
  }

  openAppend(path: string): WritableFile {
    const p = normalize(path)
    this.gate('openAppend', p)
    return new MemWritableFile(this, p, this.inodeOf(p))
  }

  readFile(path: string): Uint8Array {
    this.checkAlive()
    const inode = this.inodeOf(normalize(path))
    return inode.data.slice(0, inode.length)
  }

  truncate(path: string, length: number): void {
    const p = normalize(path)
    this.gate('truncate', p)
    if (!Number.isInteger(length) || length < 0) throw new InvalidArgumentError(`truncate ${p}: bad length ${length}`)
    this.inodeOf(p).resize(length)
  }

  rename(from: string, to: string): void {
    const f = normalize(from)
    const t = normalize(to)
    this.gate('rename', f, t)
    const inode = this.inodeOf(f)
    this.requireParent(t)
    if (this.dirs.has(t)) throw new IOError(`rename ${f} to ${t}: target is a directory`)
    if (f === t) return
    this.current.delete(f)
    this.current.set(t, inode)
    const op: NameOp = { kind: 'rename', from: f, to: t, inode }
    this.queue(posix.dirname(f), op)
    if (posix.dirname(t) !== posix.dirname(f)) this.queue(posix.dirname(t), op)
  }

  remove(path: string): void {
    const p = normalize(path)
    this.gate('remove', p)
    const inode = this.current.get(p)
    if (inode === undefined) return
    this.current.delete(p)
    this.queue(posix.dirname(p), { kind: 'remove', path: p, inode })
  }

  exists(path: string): boolean {
    this.checkAlive()
    const p = normalize(path)
    return this.current.has(p) || this.dirs.has(p)
  }

  list(dir: string): string[] {
    this.checkAlive()
    const d = normalize(dir)
    if (!this.dirs.has(d)) throw new NotFoundError(`list ${d}: no such directory`)
    const names: string[] = []
    for (const path of this.current.keys()) if (posix.dirname(path) === d) names.push(posix.basename(path))
    for (const sub of this.dirs) {
      if (sub !== d && posix.dirname(sub) === d) names.push(posix.basename(sub))
    }
    return names.sort()
  }

  mkdir(dir: string): void {
    const d = normalize(dir)
    this.gate('mkdir', d)
    const missing: string[] = []
    for (let p = d; !this.dirs.has(p); p = posix.dirname(p)) {
      if (this.current.has(p)) throw new IOError(`mkdir ${d}: ${p} is a file`)
      missing.push(p)
    }
    for (const p of missing) this.dirs.add(p)
  }

  async syncDir(dir: string): Promise<void> {
    const d = normalize(dir)
    this.gate('syncDir', d)
    if (!this.dirs.has(d)) throw new NotFoundError(`syncDir ${d}: no such directory`)
    const ops = this.pending.get(d)
    if (ops === undefined) return
    this.pending.delete(d)
    for (const op of ops) applyNameOp(this.durable, op, d)
  }

  lock(path: string, mode: LockMode = 'exclusive'): FileLock {
    this.checkAlive()
    const p = normalize(path)
    if (this.locks.has(p)) throw new LockError(p, 'a writer in this MemFileSystem')
    if (mode === 'exclusive' && this.sharedLocks.has(p)) throw new LockError(p, `${this.sharedLocks.get(p)} read-only handles in this MemFileSystem`)
    this.requireParent(p)
    // Mirror RealFileSystem, whose LOCK file is created when missing and stays after release;
    // made durable at once.
    if (!this.current.has(p)) {
      const inode = new Inode()
      this.current.set(p, inode)
      this.durable.set(p, inode)
    }
    if (mode === 'shared') return this.lockShared(p)
    this.locks.add(p)
    let held = true
    return {
      release: () => {
        this.checkAlive()
        if (!held) return
        held = false
        this.locks.delete(p)
      },
    }
  }

  private lockShared(p: string): FileLock {
    this.sharedLocks.set(p, (this.sharedLocks.get(p) ?? 0) + 1)
    let held = true
    return {
      release: () => {
        if (!held) return
        held = false
        const n = this.sharedLocks.get(p)! - 1
        if (n === 0) this.sharedLocks.delete(p)
        else this.sharedLocks.set(p, n)
      },
    }
  }

  // ---- internals shared with the file handles ----

  /** @internal Throws CrashError once the instance has crashed. Every call goes through here. */
  checkAlive(): void {
    if (this.crashed) throw new CrashError('MemFileSystem has crashed; this process is dead')
  }

  /** @internal The gate of every mutating operation: crash check, hook, injected crash, count. */
  gate(kind: MemOperationKind, path: string, to?: string): void {
    this.checkAlive()
    const count = this.opCount + 1
    if (this.onOperation !== undefined) this.onOperation(to === undefined ? { kind, path, count } : { kind, path, to, count })
    this.checkAlive()
    if (this.crashCountdown > 0 && --this.crashCountdown === 0) {
      this.crashed = true
      throw new CrashError(`injected crash at operation ${count} (${kind} ${path})`)
    }
    this.opCount = count
  }

  private inodeOf(path: string): Inode {
    const inode = this.current.get(path)
    if (inode === undefined) throw new NotFoundError(`${path}: no such file`)
    return inode
  }

  private requireParent(path: string): void {
    const parent = posix.dirname(path)
    if (!this.dirs.has(parent)) throw new NotFoundError(`${path}: directory ${parent} does not exist`)
  }

  private queue(dir: string, op: NameOp): void {
    let ops = this.pending.get(dir)
    if (ops === undefined) this.pending.set(dir, (ops = []))
    ops.push(op)
  }
}

class MemReadableFile implements ReadableFile {
  readonly size: number
  private closed = false

  constructor(
    private readonly fs: MemFileSystem,
    readonly path: string,
    private readonly inode: Inode,
  ) {
    this.size = inode.length
  }

  // Reads the inode as it is now, so a file still being appended can be followed.
  read(offset: number, length: number): Uint8Array {
    this.fs.checkAlive()
    if (this.closed) throw new IOError(`read ${this.path}: file is closed`)
    if (!(offset >= 0 && length >= 0)) throw new InvalidArgumentError(`read ${this.path}: bad range ${offset}+${length}`)
    const end = Math.min(offset + length, this.inode.length)
    return offset >= end ? new Uint8Array(0) : this.inode.data.slice(offset, end)
  }

  readInto(offset: number, length: number, dest: Uint8Array): number {
    this.fs.checkAlive()
    if (this.closed) throw new IOError(`read ${this.path}: file is closed`)
    if (!(offset >= 0 && length >= 0 && length <= dest.length)) {
      throw new InvalidArgumentError(`read ${this.path}: bad range ${offset}+${length} into ${dest.length} bytes`)
    }
    const end = Math.min(offset + length, this.inode.length)
    if (offset >= end) return 0
    dest.set(this.inode.data.subarray(offset, end))
    return end - offset
  }

  close(): void {
    this.fs.checkAlive()
    this.closed = true
  }
}

/** Preallocated ends are rounded up to this, as in RealFileSystem. */
const PREALLOCATE_ALIGN = 4096

class MemWritableFile implements WritableFile {
  private closed = false
  /** The appended length when preallocating (the inode also holds the zeros past it); else -1. */
  private logical: number

  constructor(
    private readonly fs: MemFileSystem,
    readonly path: string,
    private readonly inode: Inode,
    /** Zeros to keep ahead at most; 0 once trim() ended preallocation. */
    private preallocate = 0,
  ) {
    this.logical = preallocate > 0 ? inode.length : -1
  }

  get size(): number {
    return this.logical < 0 ? this.inode.length : this.logical
  }

  append(data: Uint8Array): void {
    this.fs.gate('append', this.path)
    if (this.closed) throw new IOError(`append ${this.path}: file is closed`)
    if (this.logical < 0) return this.inode.append(data)
    this.inode.write(this.logical, data)
    this.logical += data.length
  }

  async sync(): Promise<void> {
    this.fs.gate('sync', this.path)
    if (this.closed) throw new IOError(`sync ${this.path}: file is closed`)
    const ahead = this.logical >= 0 ? preallocatedAhead(this.logical, this.preallocate) : 0
    if (ahead > 0 && this.inode.length - this.logical < ahead / 2) {
      const target = Math.ceil((this.logical + ahead) / PREALLOCATE_ALIGN) * PREALLOCATE_ALIGN
      this.inode.append(new Uint8Array(target - this.inode.length))
    }
    this.inode.markSynced()
  }

  trim(): void {
    if (this.logical < 0) return
    this.preallocate = 0
    if (this.inode.length === this.logical) return
    this.fs.gate('truncate', this.path)
    if (this.closed) throw new IOError(`trim ${this.path}: file is closed`)
    this.inode.resize(this.logical)
  }

  async close(): Promise<void> {
    this.fs.checkAlive()
    if (!this.closed) this.trim()
    this.closed = true
  }
}
