// A test file system whose writable files' sync() goes through onSync(): a test counts, holds or
// fails syncs by overriding one method instead of rebuilding a WritableFile by hand.
//
// Must never: change what a file holds, or drop what the engine passes or calls (create()'s
// options, such as the WAL's and value log's preallocation, and trim()): a hand-built wrapper that
// dropped them let tests pass on files that behave unlike the ones the engine writes.

import type { CreateOptions, WritableFile } from '../../base/fs.js'
import { ForwardingFileSystem } from '../../base/forwarding-fs.js'

export abstract class SyncHookFileSystem extends ForwardingFileSystem {
  /** Called for every sync() of a file this file system opened; `sync` is the real one. */
  protected abstract onSync(file: WritableFile, sync: () => Promise<void>): Promise<void>

  override create(path: string, options?: CreateOptions): WritableFile {
    return this.hooked(super.create(path, options))
  }

  override openAppend(path: string): WritableFile {
    return this.hooked(super.openAppend(path))
  }

  private hooked(f: WritableFile): WritableFile {
    return {
      path: f.path,
      get size() {
        return f.size
      },
      append: (d) => f.append(d),
      close: () => f.close(),
      trim: f.trim && (() => f.trim!()),
      sync: () => this.onSync(f, () => f.sync()),
    }
  }
}
