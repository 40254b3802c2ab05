// The bench's child process: one engine, one workload group, one fresh database, then exit, so
// no engine's caches, memory or background threads bleed into the next measurement. Started by
// run.ts with an IPC channel; receives a ChildRequest, sends RunEvents, then a 'done' or 'error'.

import { rmSync } from 'node:fs'
import { type EngineName, openEngine } from './engines/index.js'
import { holdAppHeap } from './harness/app-heap.js'
import { type GroupResult, type RunConfig, type RunEvent, runGroup } from './harness/runner.js'
import { type WorkloadGroup, isSyncedWorkload } from './harness/workloads.js'

export interface ChildRequest {
  engine: EngineName
  group: WorkloadGroup
  run: RunConfig
  valueThreshold?: number
  /** Sett's memoryBudget in bytes (--memory-budget). */
  memoryBudget?: number
  /** MiB of live objects to hold before the engine opens (--app-heap, harness/app-heap.ts). */
  appHeapMiB?: number
  keep: boolean
}

export type ChildMessage = RunEvent | { type: 'done'; result: GroupResult } | { type: 'error'; message: string }

function send(m: ChildMessage): Promise<void> {
  return new Promise((resolve) => process.send!(m, () => resolve()))
}

async function main(req: ChildRequest): Promise<GroupResult> {
  holdAppHeap(req.appHeapMiB ?? 0)
  const baselineRssBytes = process.memoryUsage.rss()
  rmSync(req.run.dir, { recursive: true, force: true })
  let t = performance.now()
  const sync = req.run.sync || req.group.steps.some((s) => isSyncedWorkload(s.workload))
  const adapter = await openEngine(req.engine, { dir: req.run.dir, sync, valueThreshold: req.valueThreshold, memoryBudget: req.memoryBudget })
  const openMs = performance.now() - t
  const steps = await runGroup(adapter, req.group, req.run, (e) => void send(e))
  t = performance.now()
  await adapter.close()
  const closeMs = performance.now() - t
  if (!req.keep) rmSync(req.run.dir, { recursive: true, force: true })
  return { engine: adapter.name, version: adapter.version, notes: adapter.notes, steps, openMs, closeMs, baselineRssBytes }
}

if (typeof process.send !== 'function') {
  console.error('bench/child.ts is started by bench/run.ts (npm run bench), not by hand')
  process.exit(2)
}
process.once('message', (req: ChildRequest) => {
  main(req).then(
    async (result) => {
      await send({ type: 'done', result })
      process.exit(0)
    },
    async (err: unknown) => {
      await send({ type: 'error', message: err instanceof Error ? err.stack ?? err.message : String(err) })
      process.exit(1)
    },
  )
})
