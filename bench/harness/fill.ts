// The write loop the engine-only benches share (event-loop, space amplification, worker-vs-inline
// throughput): db_bench's fillrandom against Sett alone, in this process, plus the level shape a
// bench prints. Keys are harness keys of random indices in [0, keySpace), 16 B; values are slices
// of a ValueSource; batches of 100, sync off.

import type { DB } from '../../engine/index.js'
import { ValueSource, writeKey } from './keys.js'
import { Rng, shuffledIndices } from './random.js'

export const KEY_SIZE = 16
const BATCH = 100

export interface FillOptions {
  puts: number
  keySpace: number
  valueSize: number
  /** What LZ4 can shrink values to (0.5: half-compressible as db_bench; 1: random bytes). */
  compressionRatio: number
  seed: number
}

/** Writes `puts` random keys; resolves with the milliseconds the writes took. */
export async function fillRandom(db: DB, o: FillOptions): Promise<number> {
  const rng = new Rng(o.seed)
  const values = new ValueSource(o.valueSize, o.compressionRatio, o.seed)
  const t = performance.now()
  for (let done = 0; done < o.puts; done += BATCH) {
    const b = db.batch()
    for (let i = 0; i < BATCH && done + i < o.puts; i++) {
      const key = Buffer.allocUnsafe(KEY_SIZE)
      writeKey(key, 0, KEY_SIZE, rng.nextInt(o.keySpace))
      b.put(key, values.next())
    }
    await b.write()
  }
  return performance.now() - t
}

/** Every key index in [0, keySpace) once, in random order (so each is live afterwards). */
export async function fillAll(db: DB, keySpace: number, valueSize: number, compressionRatio: number, seed: number): Promise<void> {
  const order = shuffledIndices(keySpace, new Rng(seed))
  const values = new ValueSource(valueSize, compressionRatio, seed)
  for (let done = 0; done < keySpace; done += BATCH) {
    const b = db.batch()
    for (let i = done; i < Math.min(keySpace, done + BATCH); i++) {
      const key = Buffer.allocUnsafe(KEY_SIZE)
      writeKey(key, 0, KEY_SIZE, order[i])
      b.put(key, values.next())
    }
    await b.write()
  }
}

export const MiB = 2 ** 20

export function mib(bytes: number): string {
  return `${(bytes / MiB).toFixed(1)} MiB`
}

/** One line per non-empty level: files, bytes, target (L1+), and whether it is within it. */
export function levelShape(db: DB): string[] {
  return db.stats().levels.filter((l) => l.files > 0).map((l) =>
    l.level === 0
      ? `L0: ${l.files} tables, ${mib(l.bytes)}`
      : `L${l.level}: ${l.files} tables, ${mib(l.bytes)} of ${mib(l.targetBytes)} target (${l.bytes <= l.targetBytes ? 'within' : 'OVER'})`)
}
