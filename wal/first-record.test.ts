// firstRecordIsWhole against readLog: whenever it says true, readLog's first onRecord is the log's
// first record; it says true for a log whose first record is whole, false for one starting with a
// marker, and false for every truncation and every bit flip of the header and first record that
// readLog does not accept either. Random tests print their seed; rerun one with SEED=<n>.

import { describe, expect, it } from 'vitest'
import { MemFileSystem } from '../base/mem-fs.js'
import { mulberry32 } from '../base/random.js'
import { FILE_HEADER_SIZE, LogWriter, firstRecordIsWhole, readLog } from './index.js'

const PATH = '/000001.wal'
const SEED = Number(process.env.SEED ?? (Date.now() % 1_000_000_007))
console.log(`wal/first-record.test.ts seed ${SEED} (rerun with SEED=${SEED})`)

async function logBytes(payloads: Uint8Array[], version: number, closeWithMarker = false): Promise<Uint8Array> {
  const fs = new MemFileSystem()
  const w = LogWriter.create(fs.create(PATH), 'wal', { salt: 0x13572468, version })
  for (const p of payloads) w.append(p)
  if (closeWithMarker) {
    await w.sync()
    await w.close()
  }
  const f = fs.openRead(PATH)
  const bytes = f.read(0, f.size)
  f.close()
  return bytes
}

/** [firstRecordIsWhole, whether readLog passed a record first] for a file holding `bytes`. */
function judge(bytes: Uint8Array): [boolean, boolean] {
  const fs = new MemFileSystem()
  fs.create(PATH).append(bytes)
  const file = fs.openRead(PATH)
  try {
    const fast = firstRecordIsWhole(file, 'wal')
    let first = false
    try {
      readLog(file, 'wal', { tolerateTornTail: true }, (r) => {
        first = r.offset === FILE_HEADER_SIZE
        throw new Error('stop')
      })
    } catch {
      // the stop above, or damage: only whether the first record was passed on matters
    }
    return [fast, first]
  } finally {
    file.close()
  }
}

describe('firstRecordIsWhole', () => {
  it('is true for a whole first record in either format version, and false for a log that is empty or starts with a marker', async () => {
    for (const version of [1, 2]) {
      expect(judge(await logBytes([Uint8Array.of(1, 2, 3)], version))).toEqual([true, true])
      expect(judge(await logBytes([new Uint8Array(100_000).fill(7), Uint8Array.of(1)], version))).toEqual([true, true])
      expect(judge(await logBytes([], version))).toEqual([false, false])
    }
    // Version 2: a synced, closed log with no records is only a marker.
    expect(judge(await logBytes([], 2, true))[0]).toBe(false)
    expect(judge(new Uint8Array(0))).toEqual([false, false])
  })

  it('never says true where readLog would not pass the first record on: every truncation and bit flip', async () => {
    const rng = mulberry32(SEED)
    for (const version of [1, 2]) {
      const payload = new Uint8Array(40).map(() => (rng() * 256) | 0)
      const bytes = await logBytes([payload, Uint8Array.of(9, 9)], version)
      const firstEnd = bytes.length - (version === 2 ? 13 + 8 + 2 : 13 + 2)
      for (let n = 0; n <= bytes.length; n++) {
        const [fast, first] = judge(bytes.subarray(0, n))
        expect(fast, `version ${version}, cut at ${n}`).toBe(first)
        expect(fast, `version ${version}, cut at ${n}`).toBe(n >= firstEnd)
      }
      for (let i = 0; i < firstEnd; i++) {
        const damaged = bytes.slice()
        damaged[i] ^= 1 << Math.floor(rng() * 8)
        const [fast, first] = judge(damaged)
        expect(fast, `version ${version}, bit flip at ${i}`).toBe(false)
        expect(first, `version ${version}, bit flip at ${i}`).toBe(false)
      }
    }
  })
})
