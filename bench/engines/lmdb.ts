// lmdb-js through the adapter, with raw binary keys and values and no compression. Point reads
// use getBinaryFast (its fastest documented read: a reused buffer, valid until the next read);
// writes are async puts issued in one event turn, which lmdb-js commits as one transaction on its
// own write thread. Durability follows --sync: lmdb-js syncs every commit by default, so runs
// without sync open it with noSync (like LevelDB's and Sett's unsynced writes, the data is in the
// OS and survives a process crash, not a power loss), and fillsync/--sync keep its default.

import { requirePeer, peerVersion } from '../harness/peers.js'
import type { EngineAdapter, EngineCursor, EngineOpenOptions } from './adapter.js'

interface RangeIterable extends Iterable<{ key: Buffer; value: Buffer }> {}
interface LmdbDatabase {
  put(key: Uint8Array, value: Uint8Array): Promise<boolean>
  remove(key: Uint8Array): Promise<boolean>
  getBinaryFast(key: Uint8Array): Buffer | undefined
  getRange(options: { start?: Uint8Array; reverse?: boolean }): RangeIterable
  close(): Promise<void>
}
type LmdbOpen = (options: {
  path: string
  keyEncoding: 'binary'
  encoding: 'binary'
  compression: boolean
  noSync: boolean
}) => LmdbDatabase

export async function openLmdb(options: EngineOpenOptions): Promise<EngineAdapter> {
  const { open } = requirePeer<{ open: LmdbOpen }>('lmdb')
  const db = open({ path: options.dir, keyEncoding: 'binary', encoding: 'binary', compression: false, noSync: !options.sync })
  return {
    name: 'lmdb',
    version: peerVersion('lmdb'),
    notes: options.sync ? [] : ['noSync (writes not synced, as for the other engines)'],
    async batch(keys, values, count) {
      let last: Promise<boolean> | undefined
      for (let i = 0; i < count; i++) last = db.put(keys[i], values[i])
      await last
    },
    async put(key, value) {
      await db.put(key, value)
    },
    async del(key) {
      await db.remove(key)
    },
    get: (key) => db.getBinaryFast(key),
    cursor({ gte, reverse }): EngineCursor {
      const it = db.getRange(gte === undefined ? { reverse } : { start: gte, reverse })[Symbol.iterator]()
      return {
        next(max, visit) {
          let n = 0
          while (n < max) {
            const r = it.next()
            if (r.done) break
            visit(r.value.key, r.value.value)
            n++
          }
          return n
        },
        close: () => {
          it.return?.()
        },
      }
    },
    close: () => db.close(),
  }
}
