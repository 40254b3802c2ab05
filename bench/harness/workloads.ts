// The workloads, by db_bench's and YCSB's names: what each one does, how many operations it runs,
// which database it needs, and the stream of operations it issues (an OpSource). A workload
// group is what one child process runs against one fresh database: a fill, then the workloads
// that need a filled database, in db_bench's order.

import { LatestGenerator, Rng, ScrambledZipfianGenerator, shuffledIndices } from './random.js'

export const WORKLOADS = [
  'fillseq', 'fillrandom', 'overwrite', 'fillsync', 'fillsync64', 'readrandom', 'readmissing', 'readseq', 'readreverse',
  'seekrandom', 'deleterandom', 'ycsb-a', 'ycsb-b', 'ycsb-c', 'ycsb-d', 'ycsb-e', 'ycsb-f',
] as const

export type WorkloadName = (typeof WORKLOADS)[number]

/** Writers of fillsync64, each awaiting its own durable put before taking the next key. */
export const CONCURRENT_SYNC_WRITERS = 64

/** Workloads whose every write is durable before it resolves (fillsync, fillsync64). */
export function isSyncedWorkload(name: WorkloadName): boolean {
  return name === 'fillsync' || name === 'fillsync64'
}

export function isWorkload(name: string): name is WorkloadName {
  return (WORKLOADS as readonly string[]).includes(name)
}

export interface WorkloadInfo {
  description: string
  /** Writes: the run waits until the engine is quiescent and reports write amplification. */
  writes: boolean
  /** Needs a database filled by fillrandom first. */
  needsData: boolean
}

export const WORKLOAD_INFO: Record<WorkloadName, WorkloadInfo> = {
  fillseq: { description: 'N keys in ascending order, in batches, into an empty database', writes: true, needsData: false },
  fillrandom: { description: 'N keys in random order (each key once), in batches, into an empty database', writes: true, needsData: false },
  overwrite: { description: 'random existing keys (with repeats) rewritten, in batches', writes: true, needsData: true },
  fillsync: { description: 'keys in random order, one put at a time, each durable (fsync) before the next', writes: true, needsData: false },
  fillsync64: { description: 'fillsync by 64 concurrent writers, each awaiting its durable put before its next (group commit)', writes: true, needsData: false },
  readrandom: { description: 'one get at a time of a uniformly random existing key', writes: false, needsData: true },
  readmissing: { description: 'one get at a time of a key that is absent but inside the key range', writes: false, needsData: true },
  readseq: { description: 'one forward scan over the whole database', writes: false, needsData: true },
  readreverse: { description: 'one backward scan over the whole database', writes: false, needsData: true },
  seekrandom: { description: 'a new iterator per operation, seeked to a random key, one entry read', writes: false, needsData: true },
  deleterandom: { description: 'one delete at a time of a uniformly random key', writes: true, needsData: true },
  'ycsb-a': { description: 'YCSB A, update heavy: 50% read, 50% update, zipfian', writes: true, needsData: true },
  'ycsb-b': { description: 'YCSB B, read mostly: 95% read, 5% update, zipfian', writes: true, needsData: true },
  'ycsb-c': { description: 'YCSB C, read only: 100% read, zipfian', writes: false, needsData: true },
  'ycsb-d': { description: 'YCSB D, read latest: 95% read, 5% insert, latest', writes: true, needsData: true },
  'ycsb-e': { description: 'YCSB E, short ranges: 95% scan (1–100 entries), 5% insert, zipfian', writes: true, needsData: true },
  'ycsb-f': { description: 'YCSB F, read-modify-write: 50% read, 50% read-modify-write, zipfian', writes: true, needsData: true },
}

/** The order inside the fillrandom group: db_bench's (overwrite, then reads), YCSB's inserts and deletes last. */
const GROUP_ORDER: WorkloadName[] = [
  'fillrandom', 'overwrite', 'readrandom', 'readmissing', 'readseq', 'readreverse', 'seekrandom',
  'ycsb-c', 'ycsb-b', 'ycsb-a', 'ycsb-f', 'ycsb-d', 'ycsb-e', 'deleterandom',
]

export interface GroupStep {
  workload: WorkloadName
  /** Run only to build the database; not reported (fillrandom when no one asked for it). */
  setup: boolean
}

export interface WorkloadGroup {
  name: string
  steps: GroupStep[]
}

/**
 * Splits the requested workloads into groups that each start from an empty database: fillseq and
 * fillsync and fillsync64 alone (they are measured on an empty database), everything else behind
 * one fillrandom.
 */
export function planGroups(requested: readonly WorkloadName[]): WorkloadGroup[] {
  const want = new Set(requested)
  const groups: WorkloadGroup[] = []
  if (want.has('fillseq')) groups.push({ name: 'fillseq', steps: [{ workload: 'fillseq', setup: false }] })
  const main = GROUP_ORDER.filter((w) => want.has(w))
  if (main.length > 0) {
    const steps = main.map((workload) => ({ workload, setup: false }))
    if (!want.has('fillrandom')) steps.unshift({ workload: 'fillrandom', setup: true })
    groups.push({ name: main.join(','), steps })
  }
  if (want.has('fillsync')) groups.push({ name: 'fillsync', steps: [{ workload: 'fillsync', setup: false }] })
  if (want.has('fillsync64')) groups.push({ name: 'fillsync64', steps: [{ workload: 'fillsync64', setup: false }] })
  return groups
}

/** What an operation does. Batch-writes are gathered from Put by the runner. */
export enum Op {
  End = 0,
  /** A put that belongs to a batch of --batch (fill workloads, overwrite). */
  BatchPut,
  /** One put on its own, durable before its writer's next (fillsync, fillsync64). */
  SyncPut,
  Get,
  GetMissing,
  /** An iterator from `key`, reading `length` entries (seekrandom, YCSB E). */
  Scan,
  /** A chunk of a whole-database scan (readseq, readreverse): `length` entries. */
  ScanChunk,
  Update,
  Insert,
  ReadModifyWrite,
  Delete,
}

/** The key space a group works in: indices [0, count) exist, minus deleted ones. */
export class KeySpace {
  /** Key indices handed out so far: the fill's N plus every insert. */
  count = 0
  private present: Uint8Array
  private liveKeys = 0

  constructor(capacity: number) {
    this.present = new Uint8Array(Math.max(16, capacity))
  }

  get live(): number {
    return this.liveKeys
  }

  /** Marks `i` written; returns true if it was not live before. */
  add(i: number): boolean {
    if (i >= this.present.length) {
      const grown = new Uint8Array(Math.max(i + 1, this.present.length * 2))
      grown.set(this.present)
      this.present = grown
    }
    if (i >= this.count) this.count = i + 1
    if (this.present[i] === 1) return false
    this.present[i] = 1
    this.liveKeys++
    return true
  }

  remove(i: number): void {
    if (i < this.present.length && this.present[i] === 1) {
      this.present[i] = 0
      this.liveKeys--
    }
  }

  has(i: number): boolean {
    return i < this.present.length && this.present[i] === 1
  }
}

export interface OpSourceConfig {
  /** Keys the fill writes (--num). */
  num: number
  /** Operations of the non-fill workloads (--ops, default --num). */
  ops: number
  seed: number
  /** Entries per readseq/readreverse step. */
  scanChunk?: number
}

/**
 * The operations of one workload, drawn one at a time without allocating: next() returns the
 * kind and sets `key` (and `length` for scans). Returns Op.End after `total` operations.
 */
export interface OpSource {
  readonly total: number
  key: number
  length: number
  next(): Op
}

/**
 * Operations a workload runs: N for the fills, ops for the rest, N/100 (1,000 to N) for fillsync,
 * 8 times that for fillsync64 (group commit makes it that much faster, or should).
 */
export function workloadOps(name: WorkloadName, c: OpSourceConfig): number {
  switch (name) {
    case 'fillseq':
    case 'fillrandom':
    case 'readseq':
    case 'readreverse':
      return c.num
    case 'fillsync':
      return Math.min(c.num, Math.max(1000, Math.floor(c.num / 100)))
    case 'fillsync64':
      return Math.min(c.num, 8 * Math.max(1000, Math.floor(c.num / 100)))
    default:
      return c.ops
  }
}

/** YCSB's operation mixes: proportions of read, update, insert, scan and read-modify-write. */
export const YCSB_MIX: Record<string, { read: number; update: number; insert: number; scan: number; rmw: number; latest?: boolean }> = {
  'ycsb-a': { read: 0.5, update: 0.5, insert: 0, scan: 0, rmw: 0 },
  'ycsb-b': { read: 0.95, update: 0.05, insert: 0, scan: 0, rmw: 0 },
  'ycsb-c': { read: 1, update: 0, insert: 0, scan: 0, rmw: 0 },
  'ycsb-d': { read: 0.95, update: 0, insert: 0.05, scan: 0, rmw: 0, latest: true },
  'ycsb-e': { read: 0, update: 0, insert: 0.05, scan: 0.95, rmw: 0 },
  'ycsb-f': { read: 0.5, update: 0, insert: 0, scan: 0, rmw: 0.5 },
}

/** YCSB E's scan lengths: uniform in 1 … 100 (maxscanlength, scanlengthdistribution=uniform). */
export const YCSB_MAX_SCAN = 100

/**
 * A different seed per workload (and per fill key order), the same in every engine's child:
 * the engines see identical operation sequences.
 */
function workloadSeed(seed: number, name: WorkloadName): number {
  let h = seed >>> 0
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0
  return h
}

export function createOpSource(name: WorkloadName, c: OpSourceConfig, keys: KeySpace): OpSource {
  const total = workloadOps(name, c)
  const rng = new Rng(workloadSeed(c.seed, name))
  switch (name) {
    case 'fillseq':
      return counted(total, Op.BatchPut, (s, i) => (s.key = i))
    case 'fillrandom': {
      const order = shuffledIndices(c.num, rng)
      return counted(total, Op.BatchPut, (s, i) => (s.key = order[i]))
    }
    case 'fillsync':
    case 'fillsync64': {
      const order = shuffledIndices(c.num, rng)
      return counted(total, Op.SyncPut, (s, i) => (s.key = order[i]))
    }
    case 'overwrite':
      return counted(total, Op.BatchPut, (s) => (s.key = rng.nextInt(keys.count)))
    case 'readrandom':
      return counted(total, Op.Get, (s) => (s.key = rng.nextInt(keys.count)))
    case 'readmissing':
      return counted(total, Op.GetMissing, (s) => (s.key = rng.nextInt(keys.count)))
    case 'deleterandom':
      return counted(total, Op.Delete, (s) => (s.key = rng.nextInt(keys.count)))
    case 'seekrandom':
      return counted(total, Op.Scan, (s) => {
        s.key = rng.nextInt(keys.count)
        s.length = 1
      })
    case 'readseq':
    case 'readreverse': {
      // One scan of `total` entries, handed out in chunks so progress and latency are sampled.
      const chunk = c.scanChunk ?? 1000
      let left = total
      const src: OpSource = {
        total,
        key: 0,
        length: 0,
        next() {
          if (left <= 0) return Op.End
          src.length = Math.min(chunk, left)
          left -= src.length
          return Op.ScanChunk
        },
      }
      return src
    }
    default:
      return ycsbSource(name, total, rng, keys)
  }
}

function counted(total: number, op: Op, fill: (s: OpSource, i: number) => void): OpSource {
  let i = 0
  const src: OpSource = {
    total,
    key: 0,
    length: 0,
    next() {
      if (i >= total) return Op.End
      fill(src, i++)
      return op
    },
  }
  return src
}

/**
 * YCSB's CoreWorkload transaction phase. Keys for reads, updates and scans come from a scrambled
 * zipfian over the loaded keys plus the inserts expected (2 × ops × insert proportion), redrawn
 * while they name a key not yet inserted; YCSB D reads the latest inserted keys instead. Inserts
 * take the next key index, in order.
 */
function ycsbSource(name: WorkloadName, total: number, rng: Rng, keys: KeySpace): OpSource {
  const mix = YCSB_MIX[name]
  if (mix === undefined) throw new Error(`no such workload: ${name}`)
  const expectedNew = Math.floor(total * mix.insert * 2)
  const chooser = new ScrambledZipfianGenerator(keys.count + expectedNew)
  const latest = new LatestGenerator(Math.max(1, keys.count))
  const readCut = mix.read
  const updateCut = readCut + mix.update
  const insertCut = updateCut + mix.insert
  const scanCut = insertCut + mix.scan
  const chooseKey = (): number => {
    if (mix.latest) return latest.next(rng, keys.count)
    let k: number
    do k = chooser.next(rng)
    while (k >= keys.count)
    return k
  }
  let i = 0
  const src: OpSource = {
    total,
    key: 0,
    length: 0,
    next() {
      if (i >= total) return Op.End
      i++
      const r = rng.next()
      if (r < readCut) {
        src.key = chooseKey()
        return Op.Get
      }
      if (r < updateCut) {
        src.key = chooseKey()
        return Op.Update
      }
      if (r < insertCut) {
        // The runner adds the key to the key space once written; the index is taken now.
        src.key = keys.count
        keys.count++
        return Op.Insert
      }
      if (r < scanCut) {
        src.key = chooseKey()
        src.length = rng.between(1, YCSB_MAX_SCAN)
        return Op.Scan
      }
      src.key = chooseKey()
      return Op.ReadModifyWrite
    },
  }
  return src
}
