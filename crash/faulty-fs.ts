// A deliberately broken build, made from the outside: a file system that lies about one kind of
// durability step, so the engine believes data is safe when it is not. The harness must catch it.

import { ForwardingFileSystem } from '../base/forwarding-fs.js'
import type { CreateOptions, FileSystem, WritableFile } from '../base/fs.js'

export type Fault =
  /** syncDir() does nothing: new names (tables, manifest, CURRENT, WAL, value logs) never become durable. */
  | 'skip-dir-sync'
  /** sync() of a .sst file does nothing: tables are published before their bytes are on the disk. */
  | 'skip-table-sync'
  /** sync() of a .wal file does nothing: sync: true writes are acknowledged before they are durable. */
  | 'skip-wal-sync'

export class FaultyFileSystem extends ForwardingFileSystem {
  readonly fault: Fault

  constructor(inner: FileSystem, fault: Fault) {
    super(inner)
    this.fault = fault
  }

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
      trim: file.trim === undefined ? undefined : () => file.trim!(),
      close: () => file.close(),
    }
  }

  override create(path: string, options?: CreateOptions): WritableFile {
    return this.wrap(this.inner.create(path, options))
  }
  override openAppend(path: string): WritableFile {
    return this.wrap(this.inner.openAppend(path))
  }
  override async syncDir(dir: string): Promise<void> {
    if (this.fault !== 'skip-dir-sync') return this.inner.syncDir(dir)
  }
}
