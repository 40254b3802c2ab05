// Corruption injection: builds a database on the in-memory file system, then, one copy at a time,
// flips a bit in or truncates one of its files (WAL, table, value log, MANIFEST, CURRENT) at a
// random offset, reopens and reads everything. Each injection must end as one of:
// - detected: a CorruptionError naming the damaged file and an offset;
// - recovered: a WAL lost its tail and the database equals the state after a prefix of the writes;
// - harmless: the damage sits in bytes nothing reads (a dead value-log entry, the manifest's last
//   commit marker) and every read returns exactly the full state.
// - misattributed: a CorruptionError that names another file (no wrong data, a misleading report;
//   counted apart, does not fail the run).
// Anything else (a wrong value, acknowledged writes silently rolled back, an error of another
// kind) is "wrong" and fails the run.

import { posix } from 'node:path'
import { CorruptionError } from '../base/errors.js'
import { MemFileSystem } from '../base/mem-fs.js'
import { mulberry32 } from '../base/random.js'
import { type DB, open } from '../engine/index.js'
import { Oracle, type Observation, isPrefixState, observe } from './oracle.js'
import { type Op, crashOptions, execute, opAt } from './workload.js'

const DIR = '/db'
export const FILE_KINDS = ['wal', 'sst', 'vlog', 'MANIFEST', 'CURRENT'] as const
export type FileKind = (typeof FILE_KINDS)[number]

export interface CorruptionOptions {
  seed: number
  injections: number
  /** File kinds to damage. Default: all. */
  kinds?: readonly FileKind[]
  /** Ops in the database each injection damages. Default 400. */
  ops?: number
  /** Encryption at rest on, with the harness's fixed key. */
  encrypted?: boolean
  onProgress?: (done: number, total: number) => void
}

export interface KindCount {
  injected: number
  detected: number
  recovered: number
  harmless: number
  misattributed: number
  wrong: number
}

export interface CorruptionResult {
  byKind: Record<FileKind, KindCount>
  injected: number
  detected: number
  recovered: number
  harmless: number
  misattributed: number
  wrong: number
  problems: string[]
  elapsedMs: number
}

const kindOf = (name: string): FileKind | undefined =>
  name === 'CURRENT' ? 'CURRENT' : name.startsWith('MANIFEST-') ? 'MANIFEST' : (FILE_KINDS as readonly string[]).includes(name.slice(name.lastIndexOf('.') + 1)) ? (name.slice(name.lastIndexOf('.') + 1) as FileKind) : undefined

/** A fresh, fully durable copy: each injection damages its own. */
async function cloneFs(fs: MemFileSystem): Promise<MemFileSystem> {
  const copy = new MemFileSystem()
  copy.mkdir(DIR)
  for (const [path, bytes] of fs.snapshotFiles()) {
    const f = copy.create(path)
    f.append(bytes)
    await f.sync()
    await f.close()
  }
  await copy.syncDir(DIR)
  return copy
}

export async function runCorruption(o: CorruptionOptions): Promise<CorruptionResult> {
  const started = performance.now()
  const rnd = mulberry32(o.seed ^ 0x27d4eb2f)
  const seed = o.seed
  const ops: Op[] = Array.from({ length: o.ops ?? 400 }, (_, i) => opAt(seed, i))
  const base = new MemFileSystem()
  const db = await open(DIR, { ...crashOptions(true, o.encrypted), fs: base })
  for (const op of ops) await execute(db, op)
  await db.close()
  const oracle = new Oracle(seed)
  for (const op of ops) oracle.apply(op)

  const files = new Map<FileKind, string[]>()
  for (const name of base.list(DIR)) {
    const kind = kindOf(name)
    if (kind !== undefined) files.set(kind, [...(files.get(kind) ?? []), posix.join(DIR, name)])
  }
  const kinds = (o.kinds ?? FILE_KINDS).filter((k) => files.has(k))
  const result: CorruptionResult = {
    byKind: Object.fromEntries(FILE_KINDS.map((k) => [k, { injected: 0, detected: 0, recovered: 0, harmless: 0, misattributed: 0, wrong: 0 }])) as Record<FileKind, KindCount>,
    injected: 0, detected: 0, recovered: 0, harmless: 0, misattributed: 0, wrong: 0, problems: [], elapsedMs: 0,
  }
  for (let i = 0; i < o.injections; i++) {
    const kind = kinds[Math.floor(rnd() * kinds.length)]
    const list = files.get(kind)!
    const path = list[Math.floor(rnd() * list.length)]
    const fs = await cloneFs(base)
    const size = fs.readFile(path).length
    const flip = size === 0 || rnd() < 0.5
    let what: string
    if (flip && size > 0) {
      const bit = Math.floor(rnd() * size * 8)
      fs.flipBit(path, bit)
      what = `bit ${bit} flipped in ${path} (${size} bytes)`
    } else {
      const length = Math.floor(rnd() * size)
      fs.truncateFile(path, length)
      what = `${path} cut from ${size} to ${length} bytes`
    }
    const outcome = await openAndRead(fs, oracle, ops, path, kind, o.encrypted ?? false)
    const count = result.byKind[kind]
    count.injected++
    result.injected++
    count[outcome.verdict]++
    result[outcome.verdict]++
    if (outcome.why !== '' && result.problems.length < 20) result.problems.push(`${outcome.verdict}: seed ${seed}, injection ${i}: ${what}: ${outcome.why}`)
    o.onProgress?.(i + 1, o.injections)
  }
  result.elapsedMs = performance.now() - started
  return result
}

async function openAndRead(fs: MemFileSystem, oracle: Oracle, ops: Op[], path: string, kind: FileKind, encrypted: boolean): Promise<{ verdict: 'detected' | 'recovered' | 'harmless' | 'misattributed' | 'wrong'; why: string }> {
  let db: DB | undefined
  let obs: Observation
  try {
    db = await open(DIR, { ...crashOptions(true, encrypted), fs })
    obs = observe(db)
  } catch (err) {
    if (!(err instanceof CorruptionError)) return { verdict: 'wrong', why: `not a CorruptionError: ${(err as Error).message}` }
    if (err.file !== path) return { verdict: 'misattributed', why: `blamed ${err.file} at ${err.offset}: ${err.message}` }
    if (typeof err.offset !== 'number') return { verdict: 'wrong', why: `no offset: ${err.message}` }
    return { verdict: 'detected', why: '' }
  } finally {
    await db?.close().catch(() => {})
  }
  const v = oracle.check(obs, [], ops.length)
  if (v.lost + v.phantom + v.iteratorMismatches === 0) return { verdict: 'harmless', why: '' }
  if (kind === 'wal' && v.phantom + v.iteratorMismatches === 0 && isPrefixState(oracle.seed, obs, ops)) return { verdict: 'recovered', why: '' }
  const rolledBack = v.phantom + v.iteratorMismatches === 0 && isPrefixState(oracle.seed, obs, ops)
  const how = rolledBack ? 'acknowledged writes silently rolled back to an earlier state' : 'wrong data returned'
  return { verdict: 'wrong', why: `undetected, ${how}: ${v.problems.slice(0, 3).join('; ')}` }
}
