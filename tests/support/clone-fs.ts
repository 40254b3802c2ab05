// Copies a MemFileSystem's current files into a new one, all durable: one fresh copy per case.

import { dirname } from 'node:path'
import { MemFileSystem } from '../../base/mem-fs.js'

export async function cloneFs(fs: MemFileSystem): Promise<MemFileSystem> {
  const copy = new MemFileSystem()
  const dirs = new Set<string>()
  for (const [path, bytes] of fs.snapshotFiles()) {
    const dir = dirname(path)
    if (!dirs.has(dir)) {
      copy.mkdir(dir)
      dirs.add(dir)
    }
    const f = copy.create(path)
    f.append(bytes)
    await f.sync()
    await f.close()
  }
  for (const dir of dirs) await copy.syncDir(dir)
  return copy
}
