// Backup and restore throughput on the real disk, each against a peer measured in the same run:
//
//   npm run bench:backup                                    200,000 keys, 100 B and 4 KiB values, 3 runs
//   npm run bench:backup -- --keys 20000 --runs 1           smaller
//
// Per value size and run: fill a fresh database (16 B keys in order, batches of 1,000, sync off,
// then close), copy its directory file by file with an fsync each (the peer for backup: the
// cheapest way to get the same data off the database), db.backup() to a file from a read-only
// open, and restore() into a new directory (the peer for restore: the fill, which writes the
// same entries through the same write path). Prints medians over the runs: MB/s of user bytes
// (keys + values), keys/s, and the ratios. The machine is shared: expect noise between runs.

import { randomBytes } from 'node:crypto'
import { closeSync, copyFileSync, fsyncSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { open, restore } from '../engine/index.js'

const { values: args } = parseArgs({
  options: {
    keys: { type: 'string', default: '200000' },
    'value-sizes': { type: 'string', default: '100,4096' },
    runs: { type: 'string', default: '3' },
    dir: { type: 'string' },
  },
})
const KEYS = Number(args.keys)
const SIZES = args['value-sizes'].split(',').map(Number)
const RUNS = Number(args.runs)
const root = mkdtempSync(join(args.dir ?? tmpdir(), 'sett-bench-backup-'))
const key = (i: number) => `key${String(i).padStart(13, '0')}` // 16 bytes

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]

function dirBytes(dir: string): number {
  return readdirSync(dir).reduce((n, name) => n + statSync(join(dir, name)).size, 0)
}

async function fill(dir: string, valueSize: number): Promise<number> {
  const started = performance.now()
  const db = await open(dir)
  const pool = randomBytes(valueSize * 64)
  for (let i = 0; i < KEYS; i += 1000) {
    const batch = db.batch()
    for (let j = i; j < Math.min(KEYS, i + 1000); j++) {
      const at = (j * 7919) % 63
      batch.put(key(j), pool.subarray(at * valueSize, (at + 1) * valueSize))
    }
    await batch.write()
  }
  await db.close()
  return (performance.now() - started) / 1000
}

function copyDir(from: string, to: string): number {
  const started = performance.now()
  mkdirSync(to)
  for (const name of readdirSync(from)) {
    if (name.startsWith('LOCK')) continue
    copyFileSync(join(from, name), join(to, name))
    const fd = openSync(join(to, name), 'r')
    fsyncSync(fd)
    closeSync(fd)
  }
  return (performance.now() - started) / 1000
}

interface Sample { fill: number; copy: number; backup: number; restore: number; dbBytes: number; backupBytes: number }

async function once(valueSize: number, run: number): Promise<Sample> {
  const base = join(root, `v${valueSize}-r${run}`)
  mkdirSync(base)
  const src = join(base, 'src')
  const fillS = await fill(src, valueSize)
  const dbBytes = dirBytes(src)
  const copyS = copyDir(src, join(base, 'copy'))
  const file = join(base, 'backup.bak')
  // The open (a WAL replay into memory, when the fill's last memtable was not flushed) is not timed.
  const db = await open(src, { readOnly: true })
  let started = performance.now()
  const result = await db.backup(file)
  const backupS = (performance.now() - started) / 1000
  await db.close()
  if (result.records !== KEYS) throw new Error(`backup holds ${result.records} records, expected ${KEYS}`)
  started = performance.now()
  const summary = await restore(join(base, 'restored'), file)
  const restoreS = (performance.now() - started) / 1000
  if (summary.records !== KEYS) throw new Error(`restore applied ${summary.records} records`)
  const check = await open(join(base, 'restored'), { readOnly: true })
  const probe = check.getSync(key(KEYS - 1))
  await check.close()
  if (probe?.length !== valueSize) throw new Error('restored database misses the last key')
  rmSync(base, { recursive: true, force: true })
  return { fill: fillS, copy: copyS, backup: backupS, restore: restoreS, dbBytes, backupBytes: result.bytes }
}

const mbps = (bytes: number, s: number) => (bytes / 1e6 / s).toFixed(0)
const kps = (s: number) => `${(KEYS / s / 1000).toFixed(0)}k`

try {
  console.log(`backup/restore: ${KEYS} keys of 16 B, sync off, ${RUNS} run(s) per size, medians; dir ${root}`)
  for (const size of SIZES) {
    const samples: Sample[] = []
    for (let r = 0; r < RUNS; r++) samples.push(await once(size, r))
    const m = (f: (s: Sample) => number) => median(samples.map(f))
    const user = KEYS * (16 + size)
    const [fillS, copyS, backupS, restoreS] = [m((s) => s.fill), m((s) => s.copy), m((s) => s.backup), m((s) => s.restore)]
    console.log(`\nvalue ${size} B: user data ${(user / 1e6).toFixed(0)} MB, database ${(m((s) => s.dbBytes) / 1e6).toFixed(0)} MB, backup file ${(m((s) => s.backupBytes) / 1e6).toFixed(0)} MB`)
    console.log(`  backup   ${backupS.toFixed(2)} s  ${mbps(user, backupS)} MB/s  ${kps(backupS)} keys/s   vs copying the directory ${copyS.toFixed(2)} s: ${(copyS / backupS).toFixed(2)}x its speed`)
    console.log(`  restore  ${restoreS.toFixed(2)} s  ${mbps(user, restoreS)} MB/s  ${kps(restoreS)} keys/s   vs the fill ${fillS.toFixed(2)} s (${kps(fillS)} keys/s): ${(fillS / restoreS).toFixed(2)}x its speed`)
    console.log(`  runs: ${samples.map((s) => `backup ${s.backup.toFixed(2)} s, restore ${s.restore.toFixed(2)} s`).join('; ')}`)
  }
} finally {
  rmSync(root, { recursive: true, force: true })
}
