// The seeded workload every crash mode runs: op i is a pure function of (seed, i), so the writer
// child, the parent that checks it and the in-memory runs all agree on what each op wrote.
//
// Values are self-describing: `<key>@<op id>|` then filler derived from both, so any value read
// back can be traced to the one op that wrote it, and a value that traces to nothing is a phantom.

import { mulberry32 } from '../base/random.js'
import type { DB, Options } from '../engine/index.js'

export const KEY_SPACE = 300

export type Write = { key: string; value: Buffer | null }

export type Op =
  | { id: number; type: 'put' | 'del' | 'batch' | 'txn'; writes: Write[] }
  | { id: number; type: 'flush' | 'compact' | 'gc' }

export type MaintenanceKind = 'flush' | 'compact' | 'gc'

/** The master key of `--encrypt` runs: fixed, so a killed child's directory reopens in the parent. */
export const CRASH_ENCRYPTION_KEY = new Uint8Array(32).map((_, i) => 0xa5 ^ i)

/**
 * Small sizes so that flushes, compactions, value-log rotation and GC happen every few ops.
 * `encrypted` turns on encryption at rest (every file then goes through the encrypting layer).
 */
export function crashOptions(sync: boolean, encrypted = false): Options {
  return {
    encryptionKey: encrypted ? CRASH_ENCRYPTION_KEY : null,
    sync,
    memtableSize: 16 * 1024,
    blockSize: 512,
    tableTargetSize: 16 * 1024,
    levelBaseBytes: 64 * 1024,
    levelMultiplier: 4,
    l0CompactionTrigger: 2,
    l0SlowdownTrigger: 6,
    l0StopTrigger: 12,
    valueThreshold: 256,
    valueLogFileSize: 48 * 1024,
  }
}

export const keyName = (i: number): string => `k${String(i).padStart(4, '0')}`

// One independent stream per (seed, id): xor-multiply keeps nearby ids far apart.
function streamFor(seed: number, id: number, salt = 0): () => number {
  return mulberry32((Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(id + 1, 0xc2b2ae35) ^ salt) >>> 0)
}

/** The exact bytes op `id` writes to `key`; the same call always gives the same bytes. */
export function valueFor(seed: number, key: string, id: number): Buffer {
  const rnd = streamFor(seed, id, Number.parseInt(key.slice(1), 10) * 7919 + 1)
  const large = rnd() < 0.35
  const length = large ? 300 + Math.floor(rnd() * 2700) : 12 + Math.floor(rnd() * 180)
  const head = Buffer.from(`${key}@${id}|`)
  const out = Buffer.alloc(Math.max(length, head.length + 1))
  head.copy(out)
  for (let i = head.length; i < out.length; i++) out[i] = 97 + Math.floor(rnd() * 26)
  return out
}

/** The op id a value claims to come from, or undefined when it does not parse as `<key>@<id>|`. */
export function claimedOp(key: string, value: Uint8Array): number | undefined {
  const text = Buffer.from(value.subarray(0, 32)).toString('latin1')
  const m = /^([^@]+)@(\d+)\|/.exec(text)
  return m !== null && m[1] === key ? Number(m[2]) : undefined
}

export function opAt(seed: number, id: number): Op {
  const rnd = streamFor(seed, id)
  const r = rnd()
  const key = () => keyName(Math.floor(rnd() * KEY_SPACE))
  const write = (k: string, del: boolean): Write => ({ key: k, value: del ? null : valueFor(seed, k, id) })
  if (r < 0.02) return { id, type: 'flush' }
  if (r < 0.03) return { id, type: 'compact' }
  if (r < 0.06) return { id, type: 'gc' }
  if (r < 0.16) return { id, type: 'del', writes: [write(key(), true)] }
  if (r < 0.36) {
    // A transaction's writes must fit one memtable (16 KiB here): at most 3 values of < 3 KiB.
    const txn = r >= 0.28
    const keys = new Set<string>()
    const n = txn ? 1 + Math.floor(rnd() * 3) : 2 + Math.floor(rnd() * 5)
    while (keys.size < n) keys.add(key())
    return { id, type: txn ? 'txn' : 'batch', writes: [...keys].map((k) => write(k, rnd() < 0.2)) }
  }
  return { id, type: 'put', writes: [write(key(), false)] }
}

/** Runs one op against the database; resolves when the engine acknowledges it. */
export async function execute(db: DB, op: Op): Promise<void> {
  switch (op.type) {
    case 'flush':
      return db.flush()
    case 'compact':
      return db.compactRange()
    case 'gc':
      // A low ratio so that GC actually rewrites files in short runs.
      await db.runValueLogGC(0.2)
      return
    case 'put':
      return db.put(op.writes[0].key, op.writes[0].value!)
    case 'del':
      return db.del(op.writes[0].key)
    case 'batch': {
      const b = db.batch()
      for (const w of op.writes) w.value === null ? b.del(w.key) : b.put(w.key, w.value)
      return b.write()
    }
    case 'txn':
      // Reads first, so the commit goes through conflict tracking; one writer never conflicts.
      return db.transaction(async (txn) => {
        for (const w of op.writes) await txn.get(w.key)
        for (const w of op.writes) w.value === null ? txn.del(w.key) : txn.put(w.key, w.value)
      })
  }
}
