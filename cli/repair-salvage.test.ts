// `sett repair` and `sett backup --salvage` against real directories. repair: a garbage CURRENT (repaired, nothing lost, exit 0), a
// flipped byte in a table's data block (repaired with loss, exit 1, the table kept in lost/),
// --json, a missing directory, and the progress bar: drawn on a terminal, absent otherwise.
// backup --salvage: a plain backup of a damaged table fails, a salvage one writes a file that
// restores, and reports the blocks it skipped (exit 1).

import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { open } from '../engine/index.js'
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, type Io, run } from './main.js'

const root = mkdtempSync(join(tmpdir(), 'sett-cli-repair-'))
let healthy: string
const KEYS = 400

afterAll(() => rmSync(root, { recursive: true, force: true }))

beforeAll(async () => {
  healthy = join(root, 'healthy')
  const db = await open(healthy, { valueThreshold: 256, blockSize: 512, compactionWorker: false })
  for (let i = 0; i < KEYS; i++) {
    await db.put(`k${String(i).padStart(4, '0')}`, i % 10 === 0 ? 'v'.repeat(300) + i : `value-${i}`)
    if (i % 100 === 99) await db.flush()
  }
  await db.close()
})

async function sett(argv: string[], extra: Partial<Io> = {}): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const code = await run(argv, { stdout: (t) => (out += t), stderr: (t) => (err += t), inheritStdio: false, ...extra })
  return { code, out, err }
}

let copies = 0
function copyOf(dir: string): string {
  const to = join(root, `copy-${copies++}`)
  cpSync(dir, to, { recursive: true })
  return to
}

async function readAll(dir: string): Promise<Map<string, string>> {
  const db = await open(dir, { createIfMissing: false })
  try {
    return new Map([...db.iterator()].map(([k, v]) => [k.toString(), v.toString()]))
  } finally {
    await db.close()
  }
}

describe('sett repair', () => {
  it('a garbage CURRENT: repaired, nothing lost, exit 0; the database opens with every key', async () => {
    const dir = copyOf(healthy)
    writeFileSync(join(dir, 'CURRENT'), 'not a current file\n')
    expect((await sett(['verify', dir])).code).toBe(EXIT_FAILED)
    const r = await sett(['repair', dir])
    expect(r.err).toBe('')
    expect(r.code).toBe(EXIT_OK)
    expect(r.out).toMatch(/CURRENT: damaged/)
    expect(r.out).toMatch(/REPAIRED: nothing lost/)
    expect(r.out).toMatch(new RegExp(`recovered: ${KEYS} keys`))
    expect(readFileSync(join(dir, 'lost', 'CURRENT'), 'utf8')).toBe('not a current file\n')
    expect((await sett(['verify', dir])).code).toBe(EXIT_OK)
    const all = await readAll(dir)
    expect(all.size).toBe(KEYS)
    expect(all.get('k0010')).toBe('v'.repeat(300) + 10)
  })

  it('a flipped byte in a data block: repaired with loss (exit 1), the table in lost/, the rest readable', async () => {
    const dir = copyOf(healthy)
    const table = readdirSync(dir).filter((n) => n.endsWith('.sst')).sort()[0]
    const bytes = readFileSync(join(dir, table))
    bytes[40] ^= 0x04 // inside the first data block (the header is 16 bytes)
    writeFileSync(join(dir, table), bytes)
    const r = await sett(['repair', dir, '--json'])
    expect(r.code).toBe(EXIT_FAILED)
    const report = JSON.parse(r.out)
    expect(report.tables.salvaged).toHaveLength(1)
    expect(report.tables.salvaged[0].blocksLost).toBe(1)
    const lostEntries = report.tables.salvaged[0].entriesLost
    expect(lostEntries).toBeGreaterThan(0)
    expect(existsSync(join(dir, 'lost', table))).toBe(true)
    const all = await readAll(dir)
    expect(all.size).toBe(KEYS - lostEntries)
    for (const [k, v] of all) expect(v).toBe(Number(k.slice(1)) % 10 === 0 ? 'v'.repeat(300) + Number(k.slice(1)) : `value-${Number(k.slice(1))}`)

    const again = await sett(['repair', dir])
    expect(again.code).toBe(EXIT_OK)
    expect(again.out).toMatch(/tables: \d+ intact, 0 salvaged, 0 lost/)
  })

  it('no database: exit 2; --help', async () => {
    const r = await sett(['repair', join(root, 'missing')])
    expect(r.code).toBe(EXIT_USAGE)
    expect((await sett(['repair', '--help'])).out).toMatch(/lost\//)
  })

  it('draws a bar on a terminal, and none when the progress stream is not one', async () => {
    const capture = (isTTY: boolean): { stream: Writable & { isTTY?: boolean }; text: () => string } => {
      let text = ''
      const stream = new Writable({ write(chunk, _enc, cb) { text += chunk.toString(); cb() } }) as Writable & { isTTY?: boolean; columns?: number }
      stream.isTTY = isTTY
      stream.columns = 120
      ;(stream as unknown as { cursorTo: () => boolean }).cursorTo = () => true
      ;(stream as unknown as { clearLine: () => boolean }).clearLine = () => true
      ;(stream as unknown as { moveCursor: () => boolean }).moveCursor = () => true
      return { stream, text: () => text }
    }
    const tty = capture(true)
    const r1 = await sett(['repair', copyOf(healthy)], { progressStream: tty.stream })
    expect(r1.code).toBe(EXIT_OK)
    expect(tty.text()).toMatch(/repair \[/)
    const pipe = capture(false)
    const r2 = await sett(['repair', copyOf(healthy)], { progressStream: pipe.stream })
    expect(r2.code).toBe(EXIT_OK)
    expect(pipe.text()).toBe('')
    expect(r2.err).toBe('')
  })
})

describe('sett backup --salvage', () => {
  it('a plain backup fails on a damaged block; --salvage writes a backup that restores, and counts what it skipped', async () => {
    const dir = copyOf(healthy)
    const table = readdirSync(dir).filter((n) => n.endsWith('.sst')).sort()[0]
    const bytes = readFileSync(join(dir, table))
    bytes[40] ^= 0x04
    writeFileSync(join(dir, table), bytes)
    const plain = await sett(['backup', dir, '--out', join(root, 'plain.bak')])
    expect(plain.code).toBe(EXIT_FAILED)
    expect(plain.err).toMatch(/corruption in .*\.sst/)
    expect(plain.err).toMatch(/--salvage/)
    expect(existsSync(join(root, 'plain.bak'))).toBe(false)

    const out = join(root, 'salvage.bak')
    const salvage = await sett(['backup', dir, '--out', out, '--salvage'])
    expect(salvage.code).toBe(EXIT_FAILED)
    expect(salvage.err).toMatch(/salvage: 1 damaged block skipped, 0 unreadable values skipped/)
    expect(salvage.err).toMatch(/SALVAGED WITH LOSS/)
    const records = Number(/(\d+) records/.exec(salvage.out)![1])
    expect(records).toBeGreaterThan(0)
    expect(records).toBeLessThan(KEYS)

    const restored = join(root, 'restored-salvage')
    expect((await sett(['restore', restored, '--in', out])).code).toBe(EXIT_OK)
    const all = await readAll(restored)
    expect(all.size).toBe(records)
    for (const [k, v] of all) expect(v).toBe(Number(k.slice(1)) % 10 === 0 ? 'v'.repeat(300) + Number(k.slice(1)) : `value-${Number(k.slice(1))}`)
  })

  it('on a healthy database --salvage skips nothing and exits 0', async () => {
    const r = await sett(['backup', healthy, '--out', join(root, 'ok.bak'), '--salvage'])
    expect(r.code).toBe(EXIT_OK)
    expect(r.out).toMatch(new RegExp(`${KEYS} records`))
    expect(r.out).toMatch(/salvage: 0 damaged blocks skipped/)
  })
})
