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

it('imports point down the layers and through each folder’s index.ts', () => {
  const problems: string[] = []
  let checked = 0
  for (const folder of Object.keys(ALLOWED)) {
    let files: string[]
    try {
      files = sources(join(root, folder))
    } catch {
      continue
    }
    for (const file of files) {
      const text = readFileSync(file, 'utf8')
      for (const m of text.matchAll(/^\s*(?:import|export)[^'"]*from\s+'(\.[^']+)'/gm)) {
        checked++
        const target = relative(root, normalize(join(dirname(file), m[1])))
        const targetFolder = target.split('/')[0]
        const where = `${relative(root, file)} imports ${m[1]}`
        if (targetFolder === folder) continue
        if (!ALLOWED[folder].includes(targetFolder)) problems.push(`${where}: ${folder}/ may not import ${targetFolder}/`)
        else if (targetFolder !== 'base' && target !== `${targetFolder}/index.js`) {
          problems.push(`${where}: enter ${targetFolder}/ through its index.ts`)
        }
      }
    }
  }
  expect(problems).toEqual([])
  expect(checked).toBeGreaterThan(50)
})
