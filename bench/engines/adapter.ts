// The one interface every engine is driven through, so Sett and its peers run the same code path
// (STYLE §9). An adapter uses its engine's fastest documented way to do each thing: synchronous
// point reads, native batches, batched iteration. Keys and values are plain bytes.

export const ENGINES = ['sett', 'classic-level', 'lmdb'] as const
export type EngineName = (typeof ENGINES)[number]

export function isEngine(name: string): name is EngineName {
  return (ENGINES as readonly string[]).includes(name)
}

export interface EngineOpenOptions {
  dir: string
  /** Default durability of writes for the whole run (--sync, or fillsync). */
  sync: boolean
  /** Sett's valueThreshold (--threshold); passed only when the engine has the option. */
  valueThreshold?: number
  /** Sett's memoryBudget in bytes (--memory-budget); other engines ignore it. */
  memoryBudget?: number
}

/** A forward or backward iterator, read in chunks. */
export interface EngineCursor {
  /**
   * Reads up to `max` entries, calling `visit` for each, and returns how many. It may return fewer
   * than `max` before the end (abstract-level's nextv does); 0 means the end.
   */
  next(max: number, visit: (key: Uint8Array, value: Uint8Array) => void): number | Promise<number>
  close(): void | Promise<void>
}

/** Engine-side counters; each field only where the engine exposes it. */
export interface EngineStats {
  stalls?: number
  stallMs?: number
  flushes?: number
  compactions?: number
  compactionBytesWritten?: number
  /** Bytes appended to the value log (Sett: values at or above valueThreshold). */
  valueLogBytesWritten?: number
  /** Value-log garbage collections that ran. */
  valueLogGCRuns?: number
  /** Files per level (L0 first), for the record. */
  levels?: number[]
}

export interface EngineAdapter {
  readonly name: EngineName
  /** The package version measured. */
  readonly version: string
  /** Notes printed with the results: what the adapter chose and why. */
  readonly notes: string[]
  /**
   * Writes `count` entries atomically. requires: the arrays and bytes stay unchanged until the
   * promise settles (the runner reuses the arrays only afterwards).
   */
  batch(keys: Uint8Array[], values: Uint8Array[], count: number, sync: boolean): Promise<void>
  put(key: Uint8Array, value: Uint8Array, sync: boolean): Promise<void>
  del(key: Uint8Array, sync: boolean): Promise<void>
  /** A synchronous point read; the bytes are valid until the next call into the adapter. */
  get(key: Uint8Array): Uint8Array | undefined
  cursor(options: { gte?: Uint8Array; reverse?: boolean }): EngineCursor
  /** Compacts the whole key range and resolves when done (--after-compact); absent when there is nothing to compact. */
  compact?(): Promise<void>
  /** True while the engine still has background work it knows of (flushes, compactions). */
  busy?(): boolean
  stats?(): EngineStats
  /** The engine's own account of the memory it holds, part by part in bytes (the bench records it at peak RSS). */
  memory?(): Record<string, number>
  close(): Promise<void>
}

export type OpenEngine = (options: EngineOpenOptions) => Promise<EngineAdapter>
