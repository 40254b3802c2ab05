// A child process for engine/close.test.ts: makes L0 reach l0StopTrigger by a flush that
// finishes while no write is stalled, during close, and then sends a write into the stall.
// Prints one JSON line with what became of the writes. Run apart because the hang it guards
// against spins on microtasks: no timer of the test could fire.

import { MemFileSystem } from '../../base/mem-fs.js'
import type { FileSystem, WritableFile } from '../../base/fs.js'
import { open } from '../../engine/index.js'

/** Holds the syncs of a WAL created while `hold` is set, after its first, until release(). */
class HeldWalSyncs {
  hold = false
  private waiting: (() => void)[] = []
  wrap(fs: MemFileSystem): FileSystem {
    return new Proxy(fs, {
      get: (target, name, receiver) => {
        const v = Reflect.get(target, name, receiver)
        if (name !== 'create' || typeof v !== 'function') return typeof v === 'function' ? v.bind(target) : v
        return (path: string): WritableFile => {
          const file = target.create(path)
          if (!this.hold || !path.endsWith('.wal')) return file
          let syncs = 0
          const held: WritableFile = {
            path: file.path,
            get size() { return file.size },
            append: (data) => file.append(data),
            // The first sync makes the new WAL's header durable during the rotation; later ones are held.
            sync: () => (++syncs === 1 || !this.hold ? file.sync() : new Promise<void>((ok) => this.waiting.push(ok)).then(() => file.sync())),
            close: () => file.close(),
          }
          return held
        }
      },
    })
  }
  release(): void {
    this.hold = false
    for (const ok of this.waiting.splice(0)) ok()
  }
}

const value = 'v'.repeat(1000)
const batch = (tag: string) => Array.from({ length: 1100 }, (_, i) => ({ type: 'put' as const, key: `${tag}-${String(i).padStart(5, '0')}`, value }))
const held = new HeldWalSyncs()
const fs = new MemFileSystem()
const options = {
  fs: held.wrap(fs), memtableSize: 1 << 20, compactionWorker: false,
  l0CompactionTrigger: 2, l0SlowdownTrigger: 2, l0StopTrigger: 2,
}
const db = await open('/db', options)
// One table in L0 and a full memtable that no write has frozen yet.
await db.batch(batch('a'))
await db.flush()
await db.batch(batch('b'))
const l0 = () => db.stats().levels[0].files
if (l0() !== 1) throw new Error(`expected one L0 table, found ${l0()}`)

held.hold = true
// The first write freezes the full memtable (its flush makes L0 two tables) and then waits for
// its WAL sync; the second needs a new memtable, so it meets the stop trigger with no flush or
// compaction running.
const first = db.put('c', value, { sync: true })
const second = db.batch(batch('d'))
const closed = db.close()
const flushed = setInterval(() => {
  if (l0() < 2) return
  clearInterval(flushed)
  held.release()
}, 1)
const settled = await Promise.allSettled([first, second])
await closed
const stalls = db.stats().stalls
const again = await open('/db', { ...options, fs })
const found = [...again.iterator({ keysOnly: true })].length
await again.close()
const committed = settled.filter((s) => s.status === 'fulfilled').length
for (const s of settled) if (s.status === 'rejected') process.stderr.write(`${String(s.reason)}\n`)
process.stdout.write(`${JSON.stringify({ writes: 2, committed, keys: 3 * 1100 + 1, found, stalls })}\n`)
