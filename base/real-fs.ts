// RealFileSystem: the FileSystem on node:fs.
//
// Reads and appends are synchronous (readSync/writeSync on an fd held open by the handle: ~1 µs
// for a cached read, where an async read costs ~50 µs through the thread pool). sync() and
// syncDir() are asynchronous callback calls (fdatasync, fsync), promisified by hand rather than
// through fs.promises FileHandles, which cost more per call.
// ENOENT becomes NotFoundError, every other node:fs failure IOError with the original as cause.
//
// Locking: an OS advisory lock on LOCK (see lock()); the PID inside is only for the message.

import * as fs from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { InvalidArgumentError, IOError, LockError, NotFoundError } from './errors.js'
import { type CreateOptions, type FileLock, type FileSystem, type LockMode, type ReadableFile, type WritableFile, preallocatedAhead } from './fs.js'

function wrap(err: unknown, what: string): Error {
  const code = (err as NodeJS.ErrnoException | null)?.code
  if (code === 'ENOENT') return new NotFoundError(`${what}: no such file or directory`)
  const message = err instanceof Error ? err.message : String(err)
  return new IOError(`${what}: ${message}`, err)
}

/** Runs a node:fs call, translating its error. */
function io<T>(what: string, fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    throw wrap(err, what)
  }
}

function fdatasync(fd: number, what: string): Promise<void> {
  return new Promise((ok, fail) => fs.fdatasync(fd, (err) => (err ? fail(wrap(err, what)) : ok())))
}

function closeFd(fd: number, what: string): Promise<void> {
  return new Promise((ok, fail) => fs.close(fd, (err) => (err ? fail(wrap(err, what)) : ok())))
}

// Absolute LOCK paths this process holds exclusive (a writer), and those it holds shared with the
// number of read-only handles. The kernel refuses a second writer in this process as well (an
// open-file-description lock belongs to one open()); these only name the holder in the message.
const heldLocks = new Set<string>()
const sharedHolds = new Map<string, number>()

/** fs-native-extensions' two calls we use: tryLock(fd, { shared }) and unlock(fd). */
interface LockCalls {
  tryLock(fd: number, options: { shared: boolean }): boolean
  unlock(fd: number): void
}

/** The package's native binding: tryLock and unlock over (fd, offset, length), 0 and 0 for the whole file. */
interface LockBinding {
  tryLock(fd: number, offset: number, length: number, exclusive: boolean): void
  unlock(fd: number, offset: number, length: number): void
}

let lockCalls: LockCalls | undefined

/**
 * fs-native-extensions, loaded at the first lock (not on import). Its index.js finds its addon
 * through require-addon, whose resolver (bare-addon-resolve, bare-module-resolve, bare-semver) held
 * ~0.46 MiB of V8's old generation for the life of every thread that opens a database, against
 * ~0.02 MiB for the addon alone (bench/RESULTS.md, issue #14, lazy12). So for the 1.x layout it
 * ships (prebuilds/<platform>-<arch>/fs-native-extensions.node) the addon is opened directly and
 * wrapped as its index.js wraps it (EAGAIN: refused, false); for any other version or platform, or
 * if that fails, the package itself.
 */
function lockModule(): LockCalls {
  if (lockCalls !== undefined) return lockCalls
  const require = createRequire(import.meta.url)
  try {
    const pkgFile = require.resolve('fs-native-extensions/package.json')
    const { version } = JSON.parse(fs.readFileSync(pkgFile, 'utf8')) as { version?: unknown }
    const addon = join(dirname(pkgFile), 'prebuilds', `${process.platform}-${process.arch}`, 'fs-native-extensions.node')
    if (typeof version === 'string' && version.startsWith('1.') && fs.existsSync(addon)) {
      const m = { exports: {} as LockBinding }
      process.dlopen(m, addon)
      const binding = m.exports
      if (typeof binding.tryLock === 'function' && typeof binding.unlock === 'function') {
        lockCalls = {
          tryLock(fd, options) {
            try {
              binding.tryLock(fd, 0, 0, options.shared !== true)
            } catch (err) {
              if ((err as NodeJS.ErrnoException).code === 'EAGAIN') return false
              throw err
            }
            return true
          },
          unlock: (fd) => binding.unlock(fd, 0, 0),
        }
        return lockCalls
      }
    }
  } catch {
    // The package's own loader below.
  }
  lockCalls = require('fs-native-extensions') as LockCalls
  return lockCalls
}

/** Asks for the OS lock without waiting; false when another holder excludes it. */
function tryLock(fd: number, shared: boolean, what: string): boolean {
  try {
    return lockModule().tryLock(fd, { shared })
  } catch (err) {
    // fcntl(2) may report a conflicting lock as EACCES as well as EAGAIN.
    if ((err as NodeJS.ErrnoException).code === 'EACCES') return false
    throw wrap(err, what)
  }
}

/** The PID a writer left in LOCK (only for messages), or undefined when it is empty or unreadable. */
function writerPid(fd: number): number | undefined {
  try {
    const buf = Buffer.alloc(32)
    const n = fs.readSync(fd, buf, 0, buf.length, 0)
    const pid = Number.parseInt(buf.toString('utf8', 0, n).trim(), 10)
    return Number.isInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

export class RealFileSystem implements FileSystem {
  openRead(path: string): ReadableFile {
    const fd = io(`open ${path}`, () => fs.openSync(path, 'r'))
    try {
      const size = io(`stat ${path}`, () => fs.fstatSync(fd).size)
      return new RealReadableFile(path, fd, size)
    } catch (err) {
      fs.closeSync(fd)
      throw err
    }
  }

  create(path: string, options?: CreateOptions): WritableFile {
    const preallocate = options?.preallocate ?? 0
    if (!Number.isInteger(preallocate) || preallocate < 0) throw new InvalidArgumentError(`create ${path}: bad preallocate ${preallocate}`)
    const fd = io(`create ${path}`, () => fs.openSync(path, 'w'))
    return new RealWritableFile(path, fd, 0, preallocate)
  }

  openAppend(path: string): WritableFile {
    // 'r+' rather than 'a': 'a' would create a missing file, and the contract says NotFoundError.
    const fd = io(`open ${path}`, () => fs.openSync(path, 'r+'))
    try {
      const size = io(`stat ${path}`, () => fs.fstatSync(fd).size)
      return new RealWritableFile(path, fd, size)
    } catch (err) {
      fs.closeSync(fd)
      throw err
    }
  }

  readFile(path: string): Uint8Array {
    const buf = io(`read ${path}`, () => fs.readFileSync(path))
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)
  }

  truncate(path: string, length: number): void {
    if (!Number.isInteger(length) || length < 0) throw new InvalidArgumentError(`truncate ${path}: bad length ${length}`)
    io(`truncate ${path}`, () => fs.truncateSync(path, length))
  }

  rename(from: string, to: string): void {
    io(`rename ${from} to ${to}`, () => fs.renameSync(from, to))
  }

  remove(path: string): void {
    try {
      fs.unlinkSync(path)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw wrap(err, `remove ${path}`)
    }
  }

  exists(path: string): boolean {
    return fs.existsSync(path)
  }

  list(dir: string): string[] {
    return io(`list ${dir}`, () => fs.readdirSync(dir)).sort()
  }

  mkdir(dir: string): void {
    io(`mkdir ${dir}`, () => fs.mkdirSync(dir, { recursive: true }))
  }

  syncDir(dir: string): Promise<void> {
    return new Promise((ok, fail) => {
      fs.open(dir, 'r', (err, fd) => {
        if (err) return fail(wrap(err, `open ${dir}`))
        fs.fsync(fd, (syncErr) => {
          fs.close(fd, (closeErr) => {
            const first = syncErr ?? closeErr
            if (first) fail(wrap(first, `sync ${dir}`))
            else ok()
          })
        })
      })
    })
  }

  /**
   * An OS advisory lock on `path`, held through an fd kept open until release(): on Linux an
   * open-file-description lock (fcntl F_OFD_SETLK, whole file), on macOS flock(), on Windows
   * LockFileEx, through fs-native-extensions. The kernel drops it when the process dies, however it
   * dies, so a lock is never stale; and it sees every process on the host whatever its PID
   * namespace. LOCK itself is created when missing and never removed: removing it would let one
   * process lock the unlinked file while another locks a new one.
   *
   * Exclusive (a writer): write lock on an fd open for writing; then our PID is written into LOCK,
   * for the message another opener gets (the lock, not the PID, decides), and cut again on release.
   * Shared (a read-only open): read lock on an fd open for reading; nothing is written (an empty
   * LOCK is created only when there is none, as in a directory last closed by an older Sett).
   */
  lock(path: string, mode: LockMode = 'exclusive'): FileLock {
    const abs = resolve(path)
    if (heldLocks.has(abs)) throw new LockError(abs, `this process (pid ${process.pid}), open for writing`)
    if (mode === 'exclusive' && sharedHolds.has(abs)) throw new LockError(abs, `this process (pid ${process.pid}), open read-only`)
    const shared = mode === 'shared'
    const flags = (shared ? fs.constants.O_RDONLY : fs.constants.O_RDWR) | fs.constants.O_CREAT
    const fd = io(`lock ${abs}`, () => fs.openSync(abs, flags, 0o644))
    try {
      if (!tryLock(fd, shared, `lock ${abs}`)) throw new LockError(abs, this.holder(fd, shared, abs))
      if (!shared) {
        io(`lock ${abs}`, () => {
          fs.ftruncateSync(fd, 0)
          fs.writeSync(fd, `${process.pid}\n`, 0)
        })
      }
    } catch (err) {
      fs.closeSync(fd)
      throw err
    }
    if (shared) sharedHolds.set(abs, (sharedHolds.get(abs) ?? 0) + 1)
    else heldLocks.add(abs)
    let held = true
    return {
      release: () => {
        if (!held) return
        held = false
        if (shared) {
          const n = sharedHolds.get(abs)! - 1
          if (n > 0) sharedHolds.set(abs, n)
          else sharedHolds.delete(abs)
        } else {
          heldLocks.delete(abs)
          // Clears the PID so that a closed database names no holder; a failure here leaves only
          // a stale PID that no lock decision reads.
          try {
            fs.ftruncateSync(fd, 0)
          } catch {}
        }
        // Closing the only fd of the open file description drops the lock.
        io(`unlock ${abs}`, () => fs.closeSync(fd))
      },
    }
  }

  /** Names who holds the lock we were refused, for the LockError message. */
  private holder(fd: number, shared: boolean, abs: string): string {
    // Refused a write lock: if a read lock is granted, only read-only opens hold it.
    if (!shared && tryLock(fd, true, `lock ${abs}`)) {
      lockModule().unlock(fd)
      return 'another process, open read-only'
    }
    const pid = writerPid(fd)
    return pid === undefined ? 'another process, open for writing' : `process ${pid}, open for writing`
  }
}

class RealReadableFile implements ReadableFile {
  constructor(
    readonly path: string,
    private fd: number,
    readonly size: number,
  ) {}

  read(offset: number, length: number): Uint8Array {
    // Not zero-filled first (every value-log read lands here: zeroing 16 KiB cost as much as the
    // read), and a plain Uint8Array of its own, so slice() still copies and .buffer is only this.
    const out = new Uint8Array(Buffer.allocUnsafeSlow(length).buffer, 0, length)
    const done = this.readInto(offset, length, out)
    return done === length ? out : out.slice(0, done)
  }

  // On every table block read: no closure and no allocation here (io() would add both).
  readInto(offset: number, length: number, dest: Uint8Array): number {
    if (this.fd < 0) throw new IOError(`read ${this.path}: file is closed`)
    if (!(offset >= 0 && length >= 0 && length <= dest.length)) {
      throw new InvalidArgumentError(`read ${this.path}: bad range ${offset}+${length} into ${dest.length} bytes`)
    }
    let done = 0
    try {
      while (done < length) {
        const n = fs.readSync(this.fd, dest, done, length - done, offset + done)
        if (n === 0) break
        done += n
      }
    } catch (err) {
      throw wrap(err, `read ${this.path}`)
    }
    return done
  }

  close(): void {
    if (this.fd < 0) return
    const fd = this.fd
    this.fd = -1
    io(`close ${this.path}`, () => fs.closeSync(fd))
  }
}

/** Zeros written by preallocation, shared by every file (never written to). */
let zeroBlock = new Uint8Array(0)
// One page per write, not 1 MiB: the page cache (Linux 6.x, ext4's large folios) gives a large
// write large folios, and a later 100 B append into one dirties and writes back the whole folio.
// Zeros written 1 MiB at a time cost ~29 KiB of device writes per synced 100 B put (/proc/self/io
// write_bytes), against 4.1 KiB for a plain append and for zeros written a page at a time.
const ZERO_BLOCK_MAX = 4096
/** Preallocated ends are rounded up to this (the page a writeback writes whole). */
const PREALLOCATE_ALIGN = 4096

class RealWritableFile implements WritableFile {
  // The file's length on disk: `length` plus the zero tail preallocation wrote past it.
  private allocated: number

  constructor(
    readonly path: string,
    private fd: number,
    // Bytes in the file; appends write at this position (pwrite), so no O_APPEND is needed.
    private length: number,
    // Zeros to keep ahead of `length` at most (CreateOptions.preallocate); 0 once a zero write
    // failed or trim() ended preallocation.
    private preallocate = 0,
  ) {
    this.allocated = length
  }

  get size(): number {
    return this.length
  }

  // On every WAL append (a synced writer's critical path): no closure and no message string
  // unless the write fails (io() would build both on every call).
  append(data: Uint8Array): void {
    if (this.fd < 0) throw new IOError(`append ${this.path}: file is closed`)
    let done = 0
    try {
      while (done < data.length) done += fs.writeSync(this.fd, data, done, data.length - done, this.length + done)
    } catch (err) {
      throw wrap(err, `append ${this.path}`)
    }
    this.length += data.length
    if (this.length > this.allocated) this.allocated = this.length
  }

  sync(): Promise<void> {
    if (this.fd < 0) return Promise.reject(new IOError(`sync ${this.path}: file is closed`))
    // Extended here, not at append: this fdatasync covers the zeros together with the appends
    // before it (one journal commit for the new size per extension), and a file that is never
    // synced until its close (an unsynced bulk load's WAL) is not written twice.
    if (this.preallocate > 0 && this.allocated - this.length < preallocatedAhead(this.length, this.preallocate) / 2) this.extend()
    return fdatasync(this.fd, `sync ${this.path}`)
  }

  /**
   * Writes zeros from the end on disk to about `preallocate` bytes past `length`. A failed zero
   * write (a full disk) only ends preallocation for this file: no appended byte depends on it,
   * the zeros that did reach the file are an all-zero tail like the rest, and a write of records
   * that also fails will fail on its own.
   */
  private extend(): void {
    const target = Math.ceil((this.length + preallocatedAhead(this.length, this.preallocate)) / PREALLOCATE_ALIGN) * PREALLOCATE_ALIGN
    if (zeroBlock.length === 0) zeroBlock = new Uint8Array(ZERO_BLOCK_MAX)
    try {
      while (this.allocated < target) {
        this.allocated += fs.writeSync(this.fd, zeroBlock, 0, Math.min(zeroBlock.length, target - this.allocated), this.allocated)
      }
    } catch {
      this.preallocate = 0
    }
  }

  trim(): void {
    if (this.fd < 0) throw new IOError(`trim ${this.path}: file is closed`)
    this.preallocate = 0
    if (this.allocated === this.length) return
    const fd = this.fd
    io(`trim ${this.path}`, () => fs.ftruncateSync(fd, this.length))
    this.allocated = this.length
  }

  close(): Promise<void> {
    if (this.fd < 0) return Promise.resolve()
    const fd = this.fd
    let trimFailure: unknown
    try {
      this.trim()
    } catch (err) {
      trimFailure = err
    }
    this.fd = -1
    const closing = closeFd(fd, `close ${this.path}`)
    return trimFailure === undefined ? closing : closing.then(() => Promise.reject(trimFailure))
  }
}
