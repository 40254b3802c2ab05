// IOFaultFileSystem: a FileSystem that makes ONE chosen operation fail with EIO or ENOSPC, the way
// a real disk and a Linux kernel fail, for tests and the crash harness. Must never be used by the
// engine itself; it only wraps a MemFileSystem (or any FileSystem) from the outside.
//
// The fault model (Linux, as PostgreSQL learnt in 2018, "fsyncgate"):
// - write: append() throws; nothing of that write reaches the file.
// - fsync: sync() throws, and the file's dirty bytes (appended since its last good sync) are gone
//   for good: the kernel marked them clean. A LATER sync() of the same file succeeds and makes
//   later bytes durable, but the lost range stays lost: powerLoss() zeroes it in what survives.
// - create / rename: throws without effect.
// - directory fsync: syncDir() throws; the names waiting in that directory are never made durable
//   by this process (later syncDir() calls of it report success and do nothing).
// Only the fault armed fires, once; every other operation is forwarded. Reads see what was
// written, lost bytes included (they are still in the page cache).

import { posix } from 'node:path'
import { IOError } from './errors.js'
import { ForwardingFileSystem } from './forwarding-fs.js'
import type { CreateOptions, FileSystem, WritableFile } from './fs.js'
import type { CrashOptions, MemFileSystem } from './mem-fs.js'

export type IOFaultKind = 'write' | 'sync' | 'create' | 'rename' | 'syncDir'
export type IOErrno = 'EIO' | 'ENOSPC'
export const IO_FAULT_KINDS: readonly IOFaultKind[] = ['write', 'sync', 'create', 'rename', 'syncDir']

export interface IOFault {
  kind: IOFaultKind
  errno: IOErrno
  /** Fail the at-th operation of this kind from when the fault is armed (1 = the next). */
  at: number
  /** Count only operations on paths this accepts (a rename by its source). Default: all. */
  path?: (path: string) => boolean
}

/** What an injected fault hit. */
export interface InjectedFault {
  kind: IOFaultKind
  errno: IOErrno
  path: string
}

/** The node:fs-shaped error an injected fault throws, wrapped as RealFileSystem wraps one. */
function injectedError(kind: IOFaultKind, errno: IOErrno, path: string): IOError {
  const syscall = kind === 'sync' ? 'fdatasync' : kind === 'syncDir' ? 'fsync' : kind === 'create' ? 'open' : kind
  const cause = Object.assign(new Error(`${errno}: injected fault, ${syscall} '${path}'`), { code: errno, syscall, path })
  return new IOError(`${kind} ${path}: ${cause.message}`, cause)
}

export class IOFaultFileSystem extends ForwardingFileSystem {
  /** Operations of each kind seen since construction (the failed one included). */
  readonly counts: Record<IOFaultKind, number> = { write: 0, sync: 0, create: 0, rename: 0, syncDir: 0 }
  /** The fault that fired, once it has. */
  injected: InjectedFault | undefined
  private armed: { kind: IOFaultKind; errno: IOErrno; left: number; path?: (path: string) => boolean } | undefined
  /** Per path: the byte ranges a failed fsync lost. */
  private readonly lost = new Map<string, [number, number][]>()
  /** Directories whose pending names a failed fsync lost. */
  private readonly deadDirs = new Set<string>()

  constructor(inner: FileSystem, fault?: IOFault) {
    super(inner)
    if (fault) this.arm(fault)
  }

  /** Arms `fault` (replacing any armed one that has not fired). */
  arm(fault: IOFault): void {
    this.armed = { kind: fault.kind, errno: fault.errno, left: fault.at, path: fault.path }
  }

  /** Counts an operation; throws the injected error when it is the armed one. */
  private step(kind: IOFaultKind, path: string): void {
    this.counts[kind]++
    const a = this.armed
    if (a === undefined || a.kind !== kind || (a.path !== undefined && !a.path(path)) || --a.left > 0) return
    this.armed = undefined
    this.injected = { kind, errno: a.errno, path }
    throw injectedError(kind, a.errno, path)
  }

  override create(path: string, options?: CreateOptions): WritableFile {
    this.step('create', path)
    this.lost.delete(posix.normalize(path))
    return this.wrap(this.inner.create(path, options), 0)
  }

  override openAppend(path: string): WritableFile {
    const file = this.inner.openAppend(path)
    return this.wrap(file, file.size)
  }

  override rename(from: string, to: string): void {
    this.step('rename', from)
    this.inner.rename(from, to)
    const f = posix.normalize(from)
    const ranges = this.lost.get(f)
    this.lost.delete(posix.normalize(to))
    if (ranges) {
      this.lost.delete(f)
      this.lost.set(posix.normalize(to), ranges)
    }
  }

  override remove(path: string): void {
    this.inner.remove(path)
    this.lost.delete(posix.normalize(path))
  }

  override async syncDir(dir: string): Promise<void> {
    const d = posix.normalize(dir)
    try {
      this.step('syncDir', d)
    } catch (err) {
      this.deadDirs.add(d)
      throw err
    }
    if (this.deadDirs.has(d)) return
    return this.inner.syncDir(dir)
  }

  private wrap(file: WritableFile, syncedTo: number): WritableFile {
    const path = posix.normalize(file.path)
    return {
      path: file.path,
      get size() {
        return file.size
      },
      append: (data) => {
        this.step('write', path)
        file.append(data)
      },
      sync: async () => {
        const end = file.size
        try {
          this.step('sync', path)
        } catch (err) {
          // The dirty pages are marked clean without reaching the disk.
          if (end > syncedTo) {
            let ranges = this.lost.get(path)
            if (ranges === undefined) this.lost.set(path, (ranges = []))
            ranges.push([syncedTo, end])
          }
          syncedTo = end
          throw err
        }
        await file.sync()
        syncedTo = Math.max(syncedTo, end)
      },
      trim: file.trim === undefined ? undefined : () => file.trim!(),
      close: () => file.close(),
    }
  }

  /**
   * What a machine finds after a power loss now: the inner MemFileSystem's crash(), with every
   * byte range a failed fsync lost zeroed in the surviving files.
   * requires: the inner file system is a MemFileSystem.
   */
  powerLoss(options: CrashOptions = {}): MemFileSystem {
    const survivor = (this.inner as MemFileSystem).crash(options)
    for (const [path, ranges] of this.lost) {
      if (!survivor.exists(path)) continue
      const bytes = survivor.readFile(path)
      for (const [from, to] of ranges) {
        for (let i = from; i < Math.min(to, bytes.length); i++) {
          for (let bit = 0; bit < 8; bit++) if (bytes[i] & (1 << bit)) survivor.flipBit(path, i * 8 + bit)
        }
      }
    }
    return survivor
  }
}
