// Micro-benchmarks of the record log: framing + append on MemFileSystem, replay, and the checksum
// under both. Registered by bench/micro.ts; each task is one operation, so ns/op reads directly.

import type { Bench } from 'tinybench'
import { checksum } from '../base/checksum.js'
import type { ReadableFile } from '../base/fs.js'
import { MemFileSystem } from '../base/mem-fs.js'
import { LogWriter, readLog } from './index.js'

const PATH = '/bench.wal'
/** Start over past this size: re-creating the same MemFileSystem path keeps its buffer. */
const ROTATE_AT = 32 << 20

function filled(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 131 + 7) & 0xff)
}

function appendTask(payloads: Uint8Array[]): () => void {
  const fs = new MemFileSystem()
  let log = LogWriter.create(fs.create(PATH), 'wal')
  return () => {
    if (log.size > ROTATE_AT) log = LogWriter.create(fs.create(PATH), 'wal')
    if (payloads.length === 1) log.append(payloads[0])
    else log.appendAll(payloads)
  }
}

/** A 4 MiB log of 100 B records (~35k records), opened for reading. */
function logToRead(): ReadableFile {
  const fs = new MemFileSystem()
  const log = LogWriter.create(fs.create(PATH), 'wal')
  const payload = filled(100)
  while (log.size < 4 << 20) log.append(payload)
  return fs.openRead(PATH)
}

export function register(bench: Bench): void {
  bench.add('wal: append 100B record', appendTask([filled(100)]))
  bench.add('wal: append 4KiB record', appendTask([filled(4096)]))
  bench.add('wal: appendAll 100 x 4KiB (group commit)', appendTask(Array.from({ length: 100 }, () => filled(4096))))

  let file: ReadableFile | undefined
  bench.add(
    'wal: readLog 4MiB of 100B records',
    () => {
      let n = 0
      readLog(file!, 'wal', { tolerateTornTail: false }, () => n++)
      if (n === 0) throw new Error('read no records')
    },
    { beforeAll: () => void (file ??= logToRead()) },
  )

  const block = filled(4096)
  let sink = 0
  bench.add('checksum: 4KiB', () => {
    sink ^= checksum(block)
  })
  if (sink === -1) console.log(sink)
}
