// The worker loads from the built package too: compile to a temporary dist/, then in a plain Node
// process (no tsx) open a database through dist/engine/index.js, fill it so the worker flushes and
// compacts, and run the built CLI's `compact` on it. Under vitest and tsx the worker starts from
// compaction/worker-bootstrap.mjs instead; the other tests in this folder cover that path.

import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, expect, it } from 'vitest'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const tmp = mkdtempSync(join(tmpdir(), 'sett-built-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

const script = `
import { open } from './dist/engine/index.js'
const dir = process.argv[2]
const db = await open(dir, { memtableSize: 64 * 1024, l0CompactionTrigger: 2, levelBaseBytes: 256 * 1024 })
const value = Buffer.alloc(100, 7)
for (let i = 0; i < 20000; i++) await db.put('key' + String((i * 7919) % 12000).padStart(6, '0'), value)
// Flushes and compactions run in separate lanes: compactRange leaves L0 empty for what follows.
await db.compactRange()
const st = db.stats()
let n = 0
for (const [, v] of db.iterator()) if (v.equals(value)) n++
await db.close()
// Three L0 tables, under the default compaction trigger, for the CLI's compact to merge.
const again = await open(dir)
for (let t = 0; t < 3; t++) {
  for (let i = 0; i < 100; i++) await again.put('key' + String(i * 97 + t).padStart(6, '0'), value)
  await again.flush()
}
const l0 = again.stats().levels[0].files
await again.close()
console.log(JSON.stringify({ inWorker: st.compactionInWorker, flushes: st.flushes, compactions: st.compactions, n, l0 }))
`

it('the built package flushes and compacts in its worker, and the built CLI compacts', () => {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
  execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', join(tmp, 'dist')], { stdio: 'pipe' })
  writeFileSync(join(tmp, 'package.json'), JSON.stringify({ type: 'module' }))
  symlinkSync(join(root, 'node_modules'), join(tmp, 'node_modules'))
  writeFileSync(join(tmp, 'fill.mjs'), script)
  const db = join(tmp, 'db')
  // No tsx anywhere in this process: the worker must be the compiled compaction-worker.js.
  const env = { ...process.env, NODE_OPTIONS: '' }
  const out = JSON.parse(execFileSync(process.execPath, [join(tmp, 'fill.mjs'), db], { cwd: tmp, env, encoding: 'utf8' }))
  expect(out).toMatchObject({ inWorker: true, n: 12000, l0: 3 })
  expect(out.flushes).toBeGreaterThan(10)
  expect(out.compactions).toBeGreaterThan(0)
  const cli = execFileSync(process.execPath, [join(tmp, 'dist', 'cli', 'main.js'), 'compact', db], { env, encoding: 'utf8' })
  expect(cli).toMatch(/^compacted .* \([1-9]\d* compactions/)
  expect(cli).toMatch(/L0: 3 tables .* -> 0 tables/)
}, 120_000)
