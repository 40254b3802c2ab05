// ForwardingFileSystem: a FileSystem that hands every call to an inner one. Layers that change a
// few calls (encryption, a fault injected on purpose) extend it and override only those.

import type { CreateOptions, FileLock, FileSystem, LockMode, ReadableFile, WritableFile } from './fs.js'

export class ForwardingFileSystem implements FileSystem {
  readonly inner: FileSystem

  constructor(inner: FileSystem) {
    this.inner = inner
  }

  openRead(path: string): ReadableFile {
    return this.inner.openRead(path)
  }

  create(path: string, options?: CreateOptions): WritableFile {
    return this.inner.create(path, options)
  }

  openAppend(path: string): WritableFile {
    return this.inner.openAppend(path)
  }

  readFile(path: string): Uint8Array {
    return this.inner.readFile(path)
  }

  truncate(path: string, length: number): void {
    this.inner.truncate(path, length)
  }

  rename(from: string, to: string): void {
    this.inner.rename(from, to)
  }

  remove(path: string): void {
    this.inner.remove(path)
  }

  exists(path: string): boolean {
    return this.inner.exists(path)
  }

  list(dir: string): string[] {
    return this.inner.list(dir)
  }

  mkdir(dir: string): void {
    this.inner.mkdir(dir)
  }

  syncDir(dir: string): Promise<void> {
    return this.inner.syncDir(dir)
  }

  lock(path: string, mode?: LockMode): FileLock {
    return this.inner.lock(path, mode)
  }
}
