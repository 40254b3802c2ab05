// A deliberately broken build, made from the outside: a file system that lies about one kind of
// durability step, so the engine believes data is safe when it is not. The harness must catch it.

import type { FileLock, FileSystem, LockMode, ReadableFile, WritableFile } from '../base/fs.js'

export type Fault =
  /** syncDir() does nothing: new names (tables, manifest, CURRENT, WAL, value logs) never become durable. */
  | 'skip-dir-sync'
  /** sync() of a .sst file does nothing: tables are published before their bytes are on the disk. */
  | 'skip-table-sync'
  /** sync() of a .wal file does nothing: sync: true writes are acknowledged before they are durable. */
  | 'skip-wal-sync'

export class FaultyFileSystem implements FileSystem {
  constructor(
    private readonly inner: FileSystem,
    readonly fault: Fault,
  ) {}

  private wrap(file: WritableFile): WritableFile {
    const skip = (this.fault === 'skip-table-sync' && file.path.endsWith('.sst')) || (this.fault === 'skip-wal-sync' && file.path.endsWith('.wal'))
    if (!skip) return file
    return {
      path: file.path,
      get size() {
        return file.size
      },
      append: (data) => file.append(data),
      sync: async () => {},
      close: () => file.close(),
    }
  }

  openRead(path: string): ReadableFile {
    return this.inner.openRead(path)
  }
  create(path: string): WritableFile {
    return this.wrap(this.inner.create(path))
  }
  openAppend(path: string): WritableFile {
    return this.wrap(this.inner.openAppend(path))
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
  async syncDir(dir: string): Promise<void> {
    if (this.fault !== 'skip-dir-sync') return this.inner.syncDir(dir)
  }
  lock(path: string, mode?: LockMode): FileLock {
    return this.inner.lock(path, mode)
  }
}
