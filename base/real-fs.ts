// RealFileSystem: the FileSystem on node:fs.
//
// Reads and appends are synchronous (readSync/writeSync on an fd held open by the handle: ~1 µs
// for a cached read, where an async read costs ~50 µs through the thread pool). sync() and
// syncDir() are asynchronous callback calls (fdatasync, fsync), promisified by hand rather than
// through fs.promises FileHandles, which cost more per call.
// ENOENT becomes NotFoundError, every other node:fs failure IOError with the original as cause.
//
// Locking: Node has no flock, so the LOCK file holds the writer's PID and each process with the
// directory open read-only leaves a LOCK.r.<pid> file beside it (see lock()).

import * as fs from 'node:fs'
import { basename, dirname, resolve } from 'node:path'
import { InvalidArgumentError, IOError, LockError, NotFoundError } from './errors.js'
import { readerLockPath } from './filenames.js'
import type { FileLock, FileSystem, LockMode, ReadableFile, WritableFile } from './fs.js'

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

// Absolute LOCK paths held by this process, so that opening one directory twice in one process
// is refused even though the PID in the file is our own.
const heldLocks = new Set<string>()
// Absolute LOCK paths this process holds shared (read-only), with the number of handles.
const sharedHolds = new Map<string, number>()

/** True when a process with this id exists (EPERM: it exists but belongs to another user). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH'
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

  create(path: string): WritableFile {
    const fd = io(`create ${path}`, () => fs.openSync(path, 'w'))
    return new RealWritableFile(path, fd, 0)
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
   * Exclusive (a writer): creates `path` exclusively ('wx') holding our PID. When it already
   * exists, the PID inside decides: a live other process holds it → LockError; this process and
   * our registry says we hold it → LockError (one directory opened twice); otherwise it is stale
   * (the holder died, or a crashed run of ours left it) and we take it over by rewriting the PID.
   * Then any live read-only holder (a LOCK.r.<pid> file of a live process) makes us let go again.
   *
   * Shared (read-only): writes LOCK.r.<our pid> (one per process, counted across handles), then
   * fails if a live writer holds LOCK. Each side announces itself before it looks for the other,
   * so of a reader and a writer racing, at least one sees the other and fails; never both get in.
   * Stale files of dead processes never block: a writer removes stale reader files, a reader
   * ignores a stale LOCK (and changes nothing but its own file).
   *
   * Caveat: PIDs are reused. If the holder died and an unrelated live process now has its PID,
   * the lock looks held and the caller gets LockError until the file is removed by hand; it never
   * lets two live holders in. Two processes taking over the same stale lock at the same instant
   * can both succeed (read-check-write is not atomic); opening one directory from several
   * processes at once while a stale lock sits there is not supported.
   */
  lock(path: string, mode: LockMode = 'exclusive'): FileLock {
    const abs = resolve(path)
    if (heldLocks.has(abs)) throw new LockError(abs, `this process (pid ${process.pid}), open for writing`)
    if (mode === 'shared') return this.lockShared(abs)
    if (sharedHolds.has(abs)) throw new LockError(abs, `this process (pid ${process.pid}), open read-only`)
    const pidText = `${process.pid}\n`
    try {
      fs.writeFileSync(abs, pidText, { flag: 'wx' })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw wrap(err, `lock ${abs}`)
      const holder = this.lockFilePid(abs)
      if (holder !== undefined && holder !== process.pid && processAlive(holder)) {
        throw new LockError(abs, `process ${holder}`)
      }
      io(`lock ${abs}`, () => fs.writeFileSync(abs, pidText))
    }
    const reader = this.liveReader(abs)
    if (reader !== undefined) {
      this.remove(abs)
      throw new LockError(abs, `process ${reader} (read-only)`)
    }
    heldLocks.add(abs)
    let held = true
    return {
      release: () => {
        if (!held) return
        held = false
        heldLocks.delete(abs)
        this.remove(abs)
      },
    }
  }

  private lockShared(abs: string): FileLock {
    const mine = readerLockPath(abs, process.pid)
    if (!sharedHolds.has(abs)) {
      io(`lock ${mine}`, () => fs.writeFileSync(mine, `${process.pid}\n`))
      const writer = this.lockFilePid(abs)
      if (writer !== undefined && writer !== process.pid && processAlive(writer)) {
        this.remove(mine)
        throw new LockError(abs, `process ${writer} (a writer)`)
      }
    }
    sharedHolds.set(abs, (sharedHolds.get(abs) ?? 0) + 1)
    let held = true
    return {
      release: () => {
        if (!held) return
        held = false
        const n = sharedHolds.get(abs)! - 1
        if (n > 0) return void sharedHolds.set(abs, n)
        sharedHolds.delete(abs)
        this.remove(mine)
      },
    }
  }

  /** The PID in a lock file, or undefined when it is missing or unreadable. */
  private lockFilePid(path: string): number | undefined {
    let text: string
    try {
      text = fs.readFileSync(path, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw wrap(err, `read ${path}`)
    }
    const pid = Number.parseInt(text.trim(), 10)
    return Number.isInteger(pid) && pid > 0 ? pid : undefined
  }

  /** A live read-only holder of the lock at `abs`; removes the files of dead ones on the way. */
  private liveReader(abs: string): number | undefined {
    const prefix = `${basename(abs)}.r.`
    for (const name of this.list(dirname(abs))) {
      if (!name.startsWith(prefix)) continue
      const pid = Number(name.slice(prefix.length))
      // Our own PID here (sharedHolds was checked) is a file a crashed run of ours left.
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) return pid
      this.remove(resolve(dirname(abs), name))
    }
    return undefined
  }
}

class RealReadableFile implements ReadableFile {
  constructor(
    readonly path: string,
    private fd: number,
    readonly size: number,
  ) {}

  read(offset: number, length: number): Uint8Array {
    const out = new Uint8Array(length)
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

class RealWritableFile implements WritableFile {
  constructor(
    readonly path: string,
    private fd: number,
    // Bytes in the file; appends write at this position (pwrite), so no O_APPEND is needed.
    private length: number,
  ) {}

  get size(): number {
    return this.length
  }

  append(data: Uint8Array): void {
    if (this.fd < 0) throw new IOError(`append ${this.path}: file is closed`)
    let done = 0
    while (done < data.length) {
      const n = io(`append ${this.path}`, () => fs.writeSync(this.fd, data, done, data.length - done, this.length + done))
      done += n
    }
    this.length += data.length
  }

  sync(): Promise<void> {
    if (this.fd < 0) return Promise.reject(new IOError(`sync ${this.path}: file is closed`))
    return fdatasync(this.fd, `sync ${this.path}`)
  }

  close(): Promise<void> {
    if (this.fd < 0) return Promise.resolve()
    const fd = this.fd
    this.fd = -1
    return closeFd(fd, `close ${this.path}`)
  }
}
