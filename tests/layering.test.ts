// Import rules as a test: each folder imports only the folders below it, and enters another
// folder (other than base/) only through its index.ts. TypeScript compiles import cycles, so
// nothing else would stop the layers from tangling.

import { readFileSync, readdirSync, statSync } from 'node:fs'
import { dirname, join, normalize, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

/** folder → folders it may import (itself always allowed). */
const ALLOWED: Record<string, string[]> = {
  base: [],
  memtable: ['base'],
  sstable: ['base'],
  wal: ['base'],
  vlog: ['base'],
  manifest: ['base', 'wal', 'sstable'],
  compaction: ['base', 'sstable', 'vlog', 'manifest', 'memtable'],
  engine: ['base', 'memtable', 'sstable', 'wal', 'vlog', 'manifest', 'compaction'],
  level: ['base', 'engine'],
  crash: ['base', 'engine'],
  cli: ['base', 'engine'],
}

function sources(dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) out.push(...sources(p))
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.bench.ts')) out.push(p)
  }
  return out
}

/** Every source file of the folders in ALLOWED (root-relative), with its relative imports resolved root-relative. */
function importGraph(): Map<string, { folder: string; imports: { spec: string; target: string }[] }> {
  const graph = new Map<string, { folder: string; imports: { spec: string; target: string }[] }>()
  for (const folder of Object.keys(ALLOWED)) {
    let files: string[]
    try {
      files = sources(join(root, folder))
    } catch {
      continue
    }
    for (const file of files) {
      const text = readFileSync(file, 'utf8')
      const imports = [...text.matchAll(/^\s*(?:import|export)[^'"]*from\s+'(\.[^']+)'/gm)]
        .map((m) => ({ spec: m[1], target: relative(root, normalize(join(dirname(file), m[1]))) }))
      graph.set(relative(root, file), { folder, imports })
    }
  }
  return graph
}

it('imports point down the layers and through each folder’s index.ts', () => {
  const problems: string[] = []
  let checked = 0
  for (const [file, { folder, imports }] of importGraph()) {
    for (const { spec, target } of imports) {
      checked++
      const targetFolder = target.split('/')[0]
      const where = `${file} imports ${spec}`
      if (targetFolder === folder) continue
      if (!ALLOWED[folder].includes(targetFolder)) problems.push(`${where}: ${folder}/ may not import ${targetFolder}/`)
      else if (targetFolder !== 'base' && target !== `${targetFolder}/index.js`) {
        problems.push(`${where}: enter ${targetFolder}/ through its index.ts`)
      }
    }
  }
  expect(problems).toEqual([])
  expect(checked).toBeGreaterThan(50)
})

/**
 * engine/'s rooms (see engine/index.ts): file → the only engine/ files that may import it. The
 * write path's internals stay behind its face, and no room reaches into another's.
 */
const ROOM_IMPORTERS: Record<string, string[]> = {
  'write-queue.ts': ['write-path.ts', 'db.ts'],
  'write-path.ts': ['rooms.ts', 'db.ts'],
  'background.ts': ['rooms.ts', 'db.ts', 'lifecycle.ts'],
  'value-log-maintenance.ts': ['rooms.ts'],
  'read-path.ts': ['rooms.ts', 'db.ts', 'value-log-maintenance.ts'],
  'lifecycle.ts': ['db.ts'],
  'transaction-runner.ts': ['db.ts'],
  'stats.ts': ['db.ts'],
  // The change feed is wired by rooms.ts alone (it sees the engine through its FeedHost).
  'change-feed.ts': ['rooms.ts'],
  // Only the face builds the rooms.
  'rooms.ts': ['db.ts'],
  'state.ts': ['rooms.ts', 'db.ts', 'write-path.ts', 'read-path.ts', 'background.ts', 'value-log-maintenance.ts', 'lifecycle.ts', 'stats.ts'],
  'db.ts': ['index.ts', 'restore.ts'],
}

/** engine/ file → engine/ files it must never import, whatever the table above allows. */
const ROOM_NEVER: Record<string, string[]> = {
  // Reads never write: not the write path, nor what it writes with.
  'read-path.ts': ['write-path.ts', 'write-queue.ts', 'write-batch.ts', 'background.ts', 'value-log-maintenance.ts'],
  // The shared state knows no room.
  'state.ts': ['db.ts', 'rooms.ts', 'write-path.ts', 'read-path.ts', 'background.ts', 'value-log-maintenance.ts', 'lifecycle.ts'],
  'background.ts': ['write-path.ts', 'write-queue.ts', 'read-path.ts', 'value-log-maintenance.ts'],
  'value-log-maintenance.ts': ['write-path.ts', 'write-queue.ts', 'background.ts'],
  // The change feed only reads: through its host, never the write path or the lanes themselves.
  'change-feed.ts': ['write-path.ts', 'write-queue.ts', 'write-batch.ts', 'background.ts', 'state.ts', 'read-path.ts'],
}

function engineImports(): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (const [file, { folder, imports }] of importGraph()) {
    if (folder !== 'engine' || file.split('/').length !== 2) continue
    const targets = imports.map((i) => i.target).filter((t) => /^engine\/[^/]+$/.test(t)).map((t) => t.slice('engine/'.length).replace(/\.js$/, '.ts'))
    out.set(file.slice('engine/'.length), targets)
  }
  return out
}

function roomProblems(imports: Map<string, string[]>): string[] {
  const problems: string[] = []
  for (const [file, targets] of imports) {
    for (const target of targets) {
      const allowed = ROOM_IMPORTERS[target]
      if (allowed && !allowed.includes(file)) problems.push(`engine/${file} imports ${target}: only ${allowed.join(', ')} may`)
      if (ROOM_NEVER[file]?.includes(target)) problems.push(`engine/${file} imports ${target}, which it must never do`)
    }
  }
  return problems
}

it('engine/ rooms import only what their rules allow', () => {
  const imports = engineImports()
  for (const room of [...Object.keys(ROOM_IMPORTERS), ...Object.keys(ROOM_NEVER)]) {
    expect(imports.has(room), `engine/${room} exists`).toBe(true)
  }
  expect(roomProblems(imports)).toEqual([])
  // The write path is reached from the face and the wiring only.
  expect([...imports].filter(([, t]) => t.includes('write-path.ts')).map(([f]) => f).sort()).toEqual(['db.ts', 'rooms.ts'])
})

it('the room rules report a read path that imports the write path, and a stray write-queue import', () => {
  const imports = engineImports()
  imports.set('read-path.ts', [...imports.get('read-path.ts')!, 'write-path.ts'])
  imports.set('backup.ts', [...imports.get('backup.ts')!, 'write-queue.ts'])
  expect(roomProblems(imports).sort()).toEqual([
    'engine/backup.ts imports write-queue.ts: only write-path.ts, db.ts may',
    'engine/read-path.ts imports write-path.ts, which it must never do',
    'engine/read-path.ts imports write-path.ts: only rooms.ts, db.ts may',
  ].sort())
})

it('no import circle anywhere (type-only imports included)', () => {
  const graph = new Map<string, string[]>()
  for (const [file, { imports }] of importGraph()) graph.set(file, imports.map((i) => i.target.replace(/\.js$/, '.ts')))
  const circles: string[] = []
  const state = new Map<string, 'open' | 'done'>()
  const visit = (file: string, path: string[]): void => {
    if (state.get(file) === 'done') return
    if (state.get(file) === 'open') {
      circles.push([...path.slice(path.indexOf(file)), file].join(' → '))
      return
    }
    state.set(file, 'open')
    for (const t of graph.get(file) ?? []) visit(t, [...path, file])
    state.set(file, 'done')
  }
  for (const file of graph.keys()) visit(file, [])
  expect(circles).toEqual([])
  expect(graph.size).toBeGreaterThan(100)
})
