// Runs every micro-benchmark (*.bench.ts beside the code) with tinybench and prints ns/op.
//
//   npm run bench:micro                 all of them
//   npm run bench:micro -- memtable     only files whose path contains "memtable"
//   npm run bench:micro -- --time 2000  milliseconds per task (default 1000)
//
// Each bench file exports register(bench) and adds its tasks; tasks of one file run together.

import { readdirSync, statSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { Bench } from 'tinybench'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const SKIP = new Set(['node_modules', 'dist', '.git', 'peers'])

function findBenchFiles(dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir)) {
    if (SKIP.has(name)) continue
    const path = join(dir, name)
    if (statSync(path).isDirectory()) out.push(...findBenchFiles(path))
    else if (name.endsWith('.bench.ts')) out.push(path)
  }
  return out.sort()
}

const args = process.argv.slice(2)
const timeIndex = args.indexOf('--time')
const time = timeIndex >= 0 ? Number(args[timeIndex + 1]) : 1000
const filters = args.filter((a, i) => !a.startsWith('--') && (timeIndex < 0 || i !== timeIndex + 1))

const files = findBenchFiles(root).filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
if (files.length === 0) {
  console.error(`no *.bench.ts file matches ${filters.join(', ')}`)
  process.exit(1)
}
console.log(`node ${process.version}, ${time} ms per task\n`)
const rows: { task: string; 'ns/op': string; 'ops/s': string; 'rme %': string; samples: number }[] = []
for (const file of files) {
  const mod = (await import(pathToFileURL(file).href)) as { register?: (b: Bench) => void | Promise<void> }
  if (typeof mod.register !== 'function') {
    console.error(`${relative(root, file)} does not export register(bench)`)
    process.exit(1)
  }
  const bench = new Bench({ time, warmupTime: Math.min(200, time / 5) })
  await mod.register(bench)
  process.stdout.write(`${relative(root, file)}: ${bench.tasks.length} tasks… `)
  await bench.run()
  console.log('done')
  for (const task of bench.tasks) {
    const r = task.result as { latency?: { mean: number; rme: number; samplesCount?: number; samples?: number[] }; state?: string; error?: unknown }
    if (!r?.latency) {
      console.error(`  ${task.name}: ${r?.state ?? 'no result'} ${String(r?.error ?? '')}`)
      continue
    }
    const ns = r.latency.mean * 1e6
    rows.push({
      task: task.name,
      'ns/op': ns < 100 ? ns.toFixed(1) : Math.round(ns).toLocaleString('en-US'),
      'ops/s': Math.round(1e9 / ns).toLocaleString('en-US'),
      'rme %': r.latency.rme.toFixed(1),
      samples: r.latency.samplesCount ?? r.latency.samples?.length ?? 0,
    })
  }
}
console.log()
console.table(rows)
