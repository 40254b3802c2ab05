// Space amplification after a full compaction: load N keys, overwrite every one of them twice,
// compactRange(), then bytes on disk over live bytes (N × (16 B key + value)). Values are 100 B
// (below the value-log threshold, so only tables hold them) and incompressible by default, so LZ4
// cannot hide the tables' own overhead.
//
//   npm run bench:space                       1,000,000 keys
//   npm run bench:space -- --keys 200000 --compression-ratio 0.5

import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { extname, join } from 'node:path'
import { parseArgs } from 'node:util'
import { open } from '../engine/index.js'
import { KEY_SIZE, fillAll, levelShape, mib } from './harness/fill.js'

const { values: args } = parseArgs({
  options: {
    keys: { type: 'string', default: '1000000' },
    'value-size': { type: 'string', default: '100' },
    'compression-ratio': { type: 'string', default: '1' },
    dir: { type: 'string' },
  },
})
const keys = Number(args.keys)
const valueSize = Number(args['value-size'])
const ratio = Number(args['compression-ratio'])

/** Bytes per kind of file (.sst, .wal, .vlog, and the rest). */
function bytesByKind(dir: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const name of readdirSync(dir)) {
    const kind = extname(name) || name.replace(/-\d+$/, '')
    out.set(kind, (out.get(kind) ?? 0) + statSync(join(dir, name)).size)
  }
  return out
}

const dir = mkdtempSync(join(args.dir ?? tmpdir(), 'sett-space-'))
try {
  const db = await open(dir)
  const t = performance.now()
  for (let pass = 0; pass < 3; pass++) await fillAll(db, keys, valueSize, ratio, 1 + pass)
  const loaded = performance.now() - t
  await db.compactRange()
  const live = keys * (KEY_SIZE + valueSize)
  const kinds = bytesByKind(dir)
  const total = [...kinds.values()].reduce((a, b) => a + b, 0)
  console.log(`${keys.toLocaleString('en-US')} keys × (${KEY_SIZE} B key + ${valueSize} B value, compressible to ${ratio}), ` +
    `each written 3 times (${(loaded / 1000).toFixed(1)} s), then compactRange()`)
  console.log(`live ${mib(live)}; on disk ${mib(total)}: ${[...kinds].map(([k, b]) => `${k} ${mib(b)}`).join(', ')}`)
  console.log(`space amplification (bytes on disk / live bytes): ${(total / live).toFixed(3)}`)
  console.log(levelShape(db).join('; '))
  await db.close()
} finally {
  rmSync(dir, { recursive: true, force: true })
}
