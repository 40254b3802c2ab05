// The CLI findings of issue 15: `-` for stdout/stdin, a non-regular backup target written to and
// never renamed over, a missing output directory named as such, an incremental backup restored
// into an empty directory told to restore the full one first.

import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { open } from '../engine/index.js'
import { EXIT_OK, EXIT_USAGE, type Io, run } from './main.js'

const root = mkdtempSync(join(tmpdir(), 'sett-cli-findings-'))
const dir = join(root, 'db')
afterAll(() => rmSync(root, { recursive: true, force: true }))
beforeAll(async () => {
  const db = await open(dir)
  for (let i = 0; i < 100; i++) await db.put(`k${i}`, `v${i}`)
  await db.close()
})

async function sett(argv: string[], extra: Partial<Io> = {}): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const io: Io = { stdout: (t) => (out += t), stderr: (t) => (err += t), inheritStdio: false, ...extra }
  const code = await run(argv, io)
  return { code, out, err }
}

describe('sett backup and restore targets', () => {
  it("--out - writes the backup to stdout and --in - restores it from stdin", async () => {
    const bytes: Buffer[] = []
    const stdout = new PassThrough()
    stdout.on('data', (b: Buffer) => bytes.push(b))
    const b = await sett(['backup', dir, '--out', '-'], { stdoutBytes: stdout })
    expect(b.code, b.err).toBe(EXIT_OK)
    expect(b.out).toBe('')
    expect(b.err).toContain('100 records')
    const backup = Buffer.concat(bytes)
    expect(backup.length).toBeGreaterThan(100)
    const stdin = new PassThrough()
    stdin.end(backup)
    const copy = join(root, 'from-stdin')
    const r = await sett(['restore', copy, '--in', '-'], { stdinBytes: stdin })
    expect(r.code, r.err).toBe(EXIT_OK)
    const db = await open(copy, { createIfMissing: false })
    expect(db.getSync('k42')?.toString()).toBe('v42')
    await db.close()
  })

  it('writes into an existing FIFO instead of renaming over it, and refuses a directory', async () => {
    const fifo = join(root, 'pipe')
    execFileSync('mkfifo', [fifo])
    const reader = new Promise<Buffer>((ok) => {
      const chunks: Buffer[] = []
      import('node:fs').then(({ createReadStream }) => {
        createReadStream(fifo).on('data', (c) => chunks.push(c as Buffer)).on('end', () => ok(Buffer.concat(chunks)))
      })
    })
    const b = await sett(['backup', dir, '--out', fifo])
    expect(b.code, b.err).toBe(EXIT_OK)
    expect((await reader).length).toBeGreaterThan(100)
    expect(statSync(fifo).isFIFO()).toBe(true)
    mkdirSync(join(root, 'adir'))
    expect(await sett(['backup', dir, '--out', join(root, 'adir')])).toMatchObject({ code: EXIT_USAGE, err: expect.stringContaining('is a directory') })
  })

  it('names a missing output directory, not the database', async () => {
    const r = await sett(['backup', dir, '--out', join(root, 'missing-dir', 'x.bak')])
    expect(r.code).toBe(EXIT_USAGE)
    expect(r.err).toContain(`the output directory ${join(root, 'missing-dir')} does not exist`)
    expect(r.err).not.toContain('no database')
  })

  it('an incremental backup into an empty directory: restore the full backup first', async () => {
    const full = join(root, 'full.bak')
    const b = await sett(['backup', dir, '--out', full])
    expect(b.code).toBe(EXIT_OK)
    const until = Number(/until sequence (\d+)/.exec(b.out)![1])
    const db = await open(dir)
    await db.put('later', 'x')
    await db.close()
    const inc = join(root, 'inc.bak')
    expect((await sett(['backup', dir, '--out', inc, '--since', String(until)])).code).toBe(EXIT_OK)
    const r = await sett(['restore', join(root, 'empty'), '--in', inc])
    expect(r.code).toBe(EXIT_USAGE)
    expect(r.err).toContain('restore the full backup first')
  })
})
