// Runs one workload group against one open engine: for each step, drives the operations, times
// every engine call into a latency histogram (histogram.ts), samples throughput, RSS and
// event-loop delay, then (after a write workload) waits until the engine stops writing and
// measures what reached the storage and what the directory holds. Knows nothing of processes:
// child.ts wires it to the parent.
//
// Timing: one performance.now() per call; the time between calls (drawing the next key) is
// charged to the next call, a few tens of ns. The loop gives the event loop a turn at least every
// millisecond (engines that work on the main thread, like Sett's flushes, run then), so the
// event-loop delay it reports has a floor of about 1 ms; calls that waited for I/O turned it
// already and get no extra turn.

import { appendFileSync, readFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { PerformanceObserver, constants as perfConstants, monitorEventLoopDelay } from 'node:perf_hooks'
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8'
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises'
import type { EngineAdapter, EngineCursor, EngineStats } from '../engines/index.js'
import { LatencyHistogram } from './histogram.js'
import { ValueSource, writeKey } from './keys.js'
import { type DirSize, dirSize, ioDelta, readProcIo, spaceAmplification, syncFiles, writeAmplification } from './metrics.js'
import { InterleavedRawSync, type RawSyncRate, meanRawSync, measureRawSync } from './raw-sync.js'
import {
  CONCURRENT_SYNC_WRITERS, KeySpace, Op, WORKLOAD_INFO, type WorkloadGroup, type WorkloadName, createOpSource, isSyncedWorkload, workloadOps,
} from './workloads.js'

export interface RunConfig {
  dir: string
  num: number
  ops: number
  valueSize: number
  keySize: number
  batch: number
  sync: boolean
  compressionRatio: number
  seed: number
  /** Caps every workload but the fills that build the database; Infinity (or 0) for none. */
  durationMs: number
  /** No bytes written for this long (and the engine not busy) counts as quiescent. */
  settleIdleMs: number
  /** Give up waiting for quiescence after this long (and say so). */
  settleMaxMs: number
  progressMs: number
  /** How long each raw append + fdatasync loop runs around fillsync64 (default 500 ms). */
  rawSyncMs?: number
  /** Raw appends of each kind per slice in fillsync, after every RAW_SLICE puts (default RAW_SLICE; tests use fewer). */
  rawSyncSlice?: number
  /** After the fill, compact the whole key range (EngineAdapter.compact) before the next step. */
  afterCompact?: boolean
}

export interface LatencySummary {
  /** What one recorded latency is: one call (a batch in the fills) or one entry of a scan chunk. */
  unit: 'batch' | 'op' | 'entry'
  count: number
  meanNs: number
  p50Ns: number
  p99Ns: number
  p999Ns: number
  maxNs: number
}

export interface StepResult {
  workload: WorkloadName
  setup: boolean
  /** Keys written, read or scanned (a batch of 100 counts 100; a scan counts 1). */
  ops: number
  /** Engine calls made. */
  calls: number
  elapsedMs: number
  opsPerSec: number
  userBytesWritten: number
  userBytesRead: number
  /** MiB/s of keys and values written and read. */
  mibPerSec: number
  found: number
  notFound: number
  latency: LatencySummary
  /** Bytes the process wrote to storage during the operations, and until quiescent. */
  writeBytesDuringOps: number
  writeBytes: number
  cancelledWriteBytes: number
  readBytes: number
  /** How long the engine kept writing after the last operation (until quiescent). */
  settleMs: number
  settleTimedOut: boolean
  /** Time to fsync the files the workload left dirty, after it settled (not in its figures). */
  writebackMs: number
  writeAmp: number | null
  dir: DirSize
  liveKeys: number
  spaceAmp: number | null
  rssPeakBytes: number
  /** What the process held at the sample that set rssPeakBytes (where the peak's memory went). */
  memoryAtPeak: MemoryAtPeak
  /** Peak RSS of the whole child process so far (getrusage), which includes earlier steps. */
  maxRssBytes: number
  loopDelayP99Ms: number
  loopDelayMaxMs: number
  stalls: number | null
  stallMs: number | null
  engine: EngineStats | null
  /** Cumulative [ms since start, ops done] every progressMs. */
  timeline: [number, number][]
  /**
   * Synced workloads: a plain append + fdatasync loop of key + value bytes on the same disk,
   * interleaved with fillsync's puts, or just before and just after fillsync64 (mean of the two);
   * null otherwise. Its time and bytes are left out of the workload's figures.
   */
  rawSync: RawSyncRate | null
}

/**
 * process.memoryUsage() at the peak RSS sample, and the engine's own account of its parts then
 * (Sett: stats().memory), all in bytes. RSS minus heapTotal minus external is roughly Node's
 * mapped code, malloc's heap and the worker threads' heaps.
 */
export interface MemoryAtPeak {
  rss: number
  heapTotal: number
  heapUsed: number
  external: number
  arrayBuffers: number
  /**
   * From /proc/self/status (Linux; null elsewhere): the anonymous part of the RSS (heaps, malloc,
   * buffers), the file-backed part (Node's binary and libraries), shared memory, and the threads
   * then (the main thread, libuv's pool, V8's helpers, and an engine's worker threads).
   */
  status: ProcStatus | null
  engine: Record<string, number> | null
}

export interface ProcStatus {
  rssAnon: number
  rssFile: number
  rssShmem: number
  threads: number
}

/** The memory lines of /proc/self/status, in bytes (null where there is no such file). */
export function readProcStatus(): ProcStatus | null {
  let text: string
  try {
    text = readFileSync('/proc/self/status', 'latin1')
  } catch {
    return null
  }
  const field = (name: string, scale: number): number => {
    const m = new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text)
    return m ? Number(m[1]) * scale : 0
  }
  return {
    rssAnon: field('RssAnon', 1024), rssFile: field('RssFile', 1024), rssShmem: field('RssShmem', 1024), threads: field('Threads', 1),
  }
}

export interface GroupResult {
  engine: string
  version: string
  notes: string[]
  steps: StepResult[]
  openMs: number
  closeMs: number
  baselineRssBytes: number
}

export type RunEvent =
  | { type: 'progress'; workload: WorkloadName; phase: 'run' | 'settle'; done: number; total: number; opsPerSec: number; elapsedMs: number }
  | { type: 'step'; result: StepResult }

function summarize(h: LatencyHistogram, unit: LatencySummary['unit']): LatencySummary {
  return {
    unit,
    count: h.count,
    meanNs: h.mean,
    p50Ns: h.percentile(50),
    p99Ns: h.percentile(99),
    p999Ns: h.percentile(99.9),
    maxNs: h.max,
  }
}

function delta(after: number | undefined, before: number | undefined): number | null {
  return after === undefined ? null : after - (before ?? 0)
}

/** Puts of fillsync between two slices of the raw append + fdatasync loop. */
const RAW_SLICE = 25

/** Runs every step of `group` on an open engine; the caller opens and closes it. */
export async function runGroup(
  adapter: EngineAdapter, group: WorkloadGroup, cfg: RunConfig, emit: (e: RunEvent) => void,
): Promise<StepResult[]> {
  const keys = new KeySpace(cfg.num + cfg.ops)
  const values = new ValueSource(cfg.valueSize, cfg.compressionRatio, cfg.seed)
  const results: StepResult[] = []
  for (const step of group.steps) {
    const heapLog = process.env.SETT_BENCH_HEAP_LOG ? startHeapLog(adapter.name, step.workload) : undefined
    const r = await runStep(adapter, step.workload, step.setup, cfg, keys, values, emit)
    heapLog?.(r.opsPerSec)
    results.push(r)
    emit({ type: 'step', result: r })
    // Outside every figure: the reads after it meet a database compacted as far as it goes.
    if (cfg.afterCompact && (step.workload === 'fillrandom' || step.workload === 'fillseq')) await adapter.compact?.()
  }
  return results
}

/**
 * SETT_BENCH_HEAP_LOG=file (opt-in, off in every figure): appends one JSON line per step to `file`: the
 * old generation (old + code + large-object + map spaces, as they stand: no gc() first) and new space
 * at the step's start, and the mark-compacts and scavenges during it. V8 starts incremental marking only
 * above 8 MiB of old generation (RESULTS.md, issue #14, gc12). SETT_BENCH_HEAP_SNAPSHOT=dir also writes
 * a heap snapshot there at each step's start (a full GC: that run's figures are not comparable).
 */
function startHeapLog(engine: string, workload: string): (opsPerSec: number) => void {
  const snapDir = process.env.SETT_BENCH_HEAP_SNAPSHOT
  if (snapDir) writeHeapSnapshot(`${snapDir}/${engine}-${workload}-${process.pid}.heapsnapshot`)
  let oldGen = 0
  let newSpace = 0
  for (const s of getHeapSpaceStatistics()) {
    if (s.space_name === 'new_space') newSpace = s.space_size
    else if (['old_space', 'code_space', 'large_object_space', 'map_space'].includes(s.space_name)) oldGen += s.space_used_size
  }
  const counts = { major: 0, minor: 0, incremental: 0 }
  const tally = (entries: PerformanceEntry[]): void => {
    for (const e of entries) {
      const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind
      if (kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) counts.major++
      else if (kind === perfConstants.NODE_PERFORMANCE_GC_MINOR) counts.minor++
      else if (kind === perfConstants.NODE_PERFORMANCE_GC_INCREMENTAL) counts.incremental++
    }
  }
  const obs = new PerformanceObserver((list) => tally(list.getEntries()))
  obs.observe({ entryTypes: ['gc'] })
  return (opsPerSec) => {
    tally(obs.takeRecords())
    obs.disconnect()
    const line = { engine, workload, oldGenMiB: +(oldGen / 1048576).toFixed(3), newSpaceMiB: +(newSpace / 1048576).toFixed(2), ...counts, opsPerSec: Math.round(opsPerSec) }
    appendFileSync(process.env.SETT_BENCH_HEAP_LOG!, JSON.stringify(line) + '\n')
  }
}

let monitors: { hist: LatencyHistogram; loop: ReturnType<typeof monitorEventLoopDelay> } | undefined

/**
 * The latency histogram and the event-loop delay monitor, emptied, made once per process and
 * reused by every step. Each is one malloc'd block (monitorEventLoopDelay's ~4 MiB, the latency
 * histogram's 288 KiB), and glibc raises its mmap and trim thresholds to the size of any such
 * block freed (engine/memory-budget.ts, GLIBC_THRESHOLDS): a fresh pair per workload, collected
 * at the next, held ~15 MiB of malloc's heaps resident that the bench then reported as the
 * engine's RSS.
 */
function reusedMonitors(): NonNullable<typeof monitors> {
  monitors ??= { hist: new LatencyHistogram(), loop: monitorEventLoopDelay({ resolution: 1 }) }
  monitors.hist.reset()
  monitors.loop.reset()
  return monitors
}

async function runStep(
  adapter: EngineAdapter, workload: WorkloadName, setup: boolean, cfg: RunConfig,
  keys: KeySpace, values: ValueSource, emit: (e: RunEvent) => void,
): Promise<StepResult> {
  const { keySize, valueSize } = cfg
  // Whole scans go in chunks of about 256 KiB: fine-grained progress, and a turn for the event loop.
  const scanChunk = Math.max(16, Math.min(1000, Math.floor(262_144 / (keySize + valueSize))))
  const src = createOpSource(workload, { num: cfg.num, ops: cfg.ops, seed: cfg.seed, scanChunk }, keys)
  const total = workloadOps(workload, cfg)
  const sync = isSyncedWorkload(workload) || cfg.sync
  // The raw loop's file sits beside the database (same disk), never inside it.
  // fillsync's single writer takes turns with the raw loop (RAW_SLICE puts, then RAW_SLICE raw
  // appends of each kind); fillsync64's crowd is measured against raw loops before and after it.
  const rawMs = cfg.rawSyncMs ?? 500
  const interleaved = workload === 'fillsync' ? new InterleavedRawSync(dirname(cfg.dir), keySize + valueSize) : undefined
  const rawBefore = workload === 'fillsync64' ? await measureRawSync(dirname(cfg.dir), keySize + valueSize, rawMs) : undefined
  const capMs = workload === 'fillseq' || workload === 'fillrandom' || !(cfg.durationMs > 0) ? Infinity : cfg.durationMs
  const batched = workload === 'fillseq' || workload === 'fillrandom' || workload === 'overwrite'
  const unit: LatencySummary['unit'] = workload === 'readseq' || workload === 'readreverse' ? 'entry' : batched && cfg.batch > 1 ? 'batch' : 'op'
  const { hist, loop } = reusedMonitors()
  const stats0 = adapter.stats?.()
  const io0 = readProcIo()

  let done = 0
  let calls = 0
  let found = 0
  let notFound = 0
  let bytesW = 0
  let bytesR = 0
  const visit = (k: Uint8Array, v: Uint8Array) => {
    bytesR += k.length + v.length
  }
  const readKey = Buffer.allocUnsafe(keySize)
  const batchKeys: Uint8Array[] = new Array(cfg.batch)
  const batchValues: Uint8Array[] = new Array(cfg.batch)
  let batchBuf = Buffer.allocUnsafe(0)
  let inBatch = 0
  let seqCursor: EngineCursor | undefined
  let scanEnded = false
  const freshKey = (i: number): Buffer => {
    const k = Buffer.allocUnsafe(keySize)
    writeKey(k, 0, keySize, i)
    return k
  }
  /** Reads `want` entries (or to the end): a cursor may hand them out in smaller pieces. */
  const readEntries = async (c: EngineCursor, want: number): Promise<number> => {
    let got = 0
    while (got < want) {
      let n = c.next(want - got, visit)
      if (typeof n !== 'number') n = await n
      if (n === 0) break
      got += n
    }
    return got
  }
  const check = (i: number, v: Uint8Array | undefined, expectPresent: boolean) => {
    if (v !== undefined) {
      found++
      bytesR += keySize + v.length
      if (v.length !== valueSize) throw new Error(`${adapter.name}: key ${i} read back ${v.length} bytes, wrote ${valueSize}`)
      if (!expectPresent) throw new Error(`${adapter.name}: key ${i} should be absent but was found`)
    } else {
      notFound++
      if (expectPresent) throw new Error(`${adapter.name}: key ${i} was written but is not found`)
    }
  }

  const timeline: [number, number][] = [[0, 0]]
  let rssPeak = 0
  let memoryAtPeak: MemoryAtPeak | undefined
  // SETT_BENCH_MEMLOG=file: every sample's full breakdown, one JSON line each, to see where a peak
  // came from over time. Put the file on a tmpfs (/dev/shm): writes to a disk count in write_bytes
  // and keep the settle phase from ever seeing the engine quiescent.
  const memoryLog = process.env.SETT_BENCH_MEMLOG || undefined
  const breakdown = (rss: number): MemoryAtPeak => {
    const u = process.memoryUsage()
    return {
      rss, heapTotal: u.heapTotal, heapUsed: u.heapUsed, external: u.external, arrayBuffers: u.arrayBuffers, status: readProcStatus(),
      engine: adapter.memory?.() ?? null,
    }
  }
  // The cheap rss() every sample; the full breakdown (it walks the heap spaces) only at a new peak,
  // or every sample when logging.
  const sampleRss = (): void => {
    const rss = process.memoryUsage.rss()
    let logged: MemoryAtPeak | undefined
    if (memoryLog !== undefined) {
      logged = breakdown(rss)
      appendFileSync(memoryLog, JSON.stringify({ workload, at: Date.now(), ...logged }) + '\n')
    }
    if (rss <= rssPeak) return
    rssPeak = rss
    memoryAtPeak = logged ?? breakdown(rss)
  }
  sampleRss()
  loop.enable()
  const start = performance.now()
  let t0 = start
  let lastYield = start
  // Set by an immediate armed at each turn check: whether the event loop has turned since.
  let turned = false
  const markTurned = (): void => {
    turned = true
  }
  setImmediate(markTurned)
  let lastTick = start
  let tickDone = 0

  if (workload === 'fillsync64') {
    // The writers share the op stream; each awaits its own put before it takes the next key, so
    // up to 64 puts wait at once and the engine may commit them together.
    const writer = async (): Promise<void> => {
      while (src.next() !== Op.End) {
        const key = src.key
        const t = performance.now()
        await adapter.put(freshKey(key), values.next(), true)
        const t1 = performance.now()
        hist.record((t1 - t) * 1e6)
        keys.add(key)
        bytesW += keySize + valueSize
        done++
        calls++
        if (t1 - lastTick >= cfg.progressMs) {
          const elapsed = t1 - start
          timeline.push([elapsed, done])
          sampleRss()
          emit({ type: 'progress', workload, phase: 'run', done, total, opsPerSec: ((done - tickDone) * 1000) / (t1 - lastTick), elapsedMs: elapsed })
          lastTick = t1
          tickDone = done
        }
      }
    }
    await Promise.all(Array.from({ length: CONCURRENT_SYNC_WRITERS }, writer))
  }

  for (;;) {
    const op = src.next()
    if (op === Op.End) break
    let count = 1
    switch (op) {
      case Op.BatchPut: {
        if (inBatch === 0) batchBuf = Buffer.allocUnsafe(cfg.batch * keySize)
        const k = batchBuf.subarray(inBatch * keySize, (inBatch + 1) * keySize)
        writeKey(k, 0, keySize, src.key)
        batchKeys[inBatch] = k
        batchValues[inBatch] = values.next()
        inBatch++
        keys.add(src.key)
        bytesW += keySize + valueSize
        if (inBatch < cfg.batch) continue
        await adapter.batch(batchKeys, batchValues, inBatch, sync)
        done += inBatch
        inBatch = 0
        break
      }
      case Op.SyncPut:
      case Op.Update:
      case Op.Insert:
        await adapter.put(freshKey(src.key), values.next(), sync)
        keys.add(src.key)
        bytesW += keySize + valueSize
        done++
        break
      case Op.Get:
      case Op.GetMissing: {
        writeKey(readKey, 0, keySize, src.key, op === Op.GetMissing)
        check(src.key, adapter.get(readKey), op === Op.Get && keys.has(src.key))
        done++
        break
      }
      case Op.ReadModifyWrite: {
        writeKey(readKey, 0, keySize, src.key)
        check(src.key, adapter.get(readKey), keys.has(src.key))
        await adapter.put(freshKey(src.key), values.next(), sync)
        bytesW += keySize + valueSize
        done++
        break
      }
      case Op.Delete:
        await adapter.del(freshKey(src.key), sync)
        keys.remove(src.key)
        bytesW += keySize
        done++
        break
      case Op.Scan: {
        const c = adapter.cursor({ gte: freshKey(src.key) })
        await readEntries(c, src.length)
        const closed = c.close()
        if (closed !== undefined) await closed
        done++
        break
      }
      case Op.ScanChunk: {
        seqCursor ??= adapter.cursor({ reverse: workload === 'readreverse' })
        const n = await readEntries(seqCursor, src.length)
        done += n
        count = n
        // Fewer entries than asked for: the database holds fewer than N, the scan is over.
        scanEnded = n < src.length
        break
      }
    }
    calls++
    const t1 = performance.now()
    const ns = (t1 - t0) * 1e6
    if (count > 0) hist.record(ns / count, count)
    t0 = t1
    if (scanEnded) break
    if (interleaved !== undefined && done % RAW_SLICE === 0) {
      await interleaved.slice(cfg.rawSyncSlice ?? RAW_SLICE)
      t0 = performance.now()
    }
    if (t1 - lastYield >= 1) {
      if (t1 - lastTick >= cfg.progressMs) {
        const elapsed = t1 - start - (interleaved?.pausedMs ?? 0)
        timeline.push([elapsed, done])
        sampleRss()
        emit({ type: 'progress', workload, phase: 'run', done, total, opsPerSec: ((done - tickDone) * 1000) / (t1 - lastTick), elapsedMs: elapsed })
        lastTick = t1
        tickDone = done
        if (elapsed >= capMs) break
      }
      // A call that waited for I/O (a synced put's fsync) already let the event loop turn: the
      // immediate armed at the last check has run. Only calls that resolve without I/O need a
      // turn of their own. An extra turn cost a synced put 15-60 µs, which the raw loop it is
      // compared with never paid (bench/RESULTS.md, 2026-12-04).
      if (!turned) await nextTurn()
      turned = false
      setImmediate(markTurned)
      lastYield = performance.now()
      t0 = lastYield
    }
  }
  if (inBatch > 0) {
    await adapter.batch(batchKeys, batchValues, inBatch, sync)
    done += inBatch
    calls++
    hist.record((performance.now() - t0) * 1e6)
  }
  if (seqCursor) {
    const closed = seqCursor.close()
    if (closed !== undefined) await closed
  }
  const end = performance.now()
  loop.disable()
  interleaved?.close()
  const elapsedMs = end - start - (interleaved?.pausedMs ?? 0)
  // The last point, unless a tick just took it (a zero-ops sliver would draw a false drop to 0).
  if (done !== timeline[timeline.length - 1][1]) timeline.push([elapsedMs, done])
  const ioOps = ioDelta(readProcIo(), io0)
  ioOps.writeBytes -= interleaved?.writeBytes ?? 0

  // Quiescence: flushes, compactions and GC that the workload set going belong to its cost (reads
  // too: LevelDB compacts files that reads keep missing in).
  let settleMs = 0
  let settleTimedOut = false
  {
    const s0 = performance.now()
    let last = readProcIo().writeBytes
    let quietSince = s0
    for (;;) {
      await sleep(Math.min(100, cfg.settleIdleMs))
      const now = performance.now()
      const w = readProcIo().writeBytes
      if (w !== last) {
        last = w
        quietSince = now
      }
      const quiet = now - quietSince
      sampleRss()
      // A busy() that never clears (work the engine will not pick) must not hold the run forever.
      if (quiet >= cfg.settleIdleMs && (!(adapter.busy?.() ?? false) || quiet >= 5 * cfg.settleIdleMs)) break
      if (now - s0 >= cfg.settleMaxMs) {
        settleTimedOut = true
        break
      }
      emit({ type: 'progress', workload, phase: 'settle', done, total, opsPerSec: 0, elapsedMs: now - start })
    }
    // How long the engine went on writing after the last operation (not the idle wait itself).
    settleMs = settleTimedOut ? performance.now() - s0 : quietSince - s0
  }
  const io = ioDelta(readProcIo(), io0)
  io.writeBytes -= interleaved?.writeBytes ?? 0
  const rawSync = interleaved !== undefined ? interleaved.result()
    : rawBefore === undefined ? null : meanRawSync(rawBefore, await measureRawSync(dirname(cfg.dir), keySize + valueSize, rawMs))
  // Write back what the workload left dirty, as the kernel would within seconds: write_bytes counts
  // a page when it is dirtied, so the next workload's rewrites of these pages count again.
  const wb = performance.now()
  syncFiles(cfg.dir)
  const writebackMs = performance.now() - wb
  const dir = dirSize(cfg.dir)
  const stats1 = adapter.stats?.()
  const writes = WORKLOAD_INFO[workload].writes && bytesW > 0
  const result: StepResult = {
    workload,
    setup,
    ops: done,
    calls,
    elapsedMs,
    opsPerSec: (done * 1000) / elapsedMs,
    userBytesWritten: bytesW,
    userBytesRead: bytesR,
    mibPerSec: ((bytesW + bytesR) / 1048576) / (elapsedMs / 1000),
    found,
    notFound,
    latency: summarize(hist, unit),
    writeBytesDuringOps: ioOps.writeBytes,
    writeBytes: io.writeBytes,
    cancelledWriteBytes: io.cancelledWriteBytes,
    readBytes: io.readBytes,
    settleMs,
    settleTimedOut,
    writebackMs,
    writeAmp: writes ? writeAmplification(io.writeBytes, bytesW) : null,
    dir,
    liveKeys: keys.live,
    spaceAmp: keys.live > 0 ? spaceAmplification(dir.allocatedBytes, keys.live, keySize, valueSize) : null,
    rssPeakBytes: rssPeak,
    memoryAtPeak: memoryAtPeak!,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    loopDelayP99Ms: loop.count > 0 ? loop.percentile(99) / 1e6 : 0,
    loopDelayMaxMs: loop.count > 0 ? loop.max / 1e6 : 0,
    stalls: delta(stats1?.stalls, stats0?.stalls),
    stallMs: delta(stats1?.stallMs, stats0?.stallMs),
    engine: stats1 === undefined ? null : {
      ...stats1,
      flushes: delta(stats1.flushes, stats0?.flushes) ?? undefined,
      compactions: delta(stats1.compactions, stats0?.compactions) ?? undefined,
      compactionBytesWritten: delta(stats1.compactionBytesWritten, stats0?.compactionBytesWritten) ?? undefined,
      valueLogBytesWritten: delta(stats1.valueLogBytesWritten, stats0?.valueLogBytesWritten) ?? undefined,
      valueLogGCRuns: delta(stats1.valueLogGCRuns, stats0?.valueLogGCRuns) ?? undefined,
    },
    timeline,
    rawSync,
  }
  return result
}
