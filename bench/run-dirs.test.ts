// Two benches started at once with the same --db: each must keep its databases to itself (a run
// directory of its own under --db, removed at the end), so neither deletes the other's open files.

import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..')
const scratch = mkdtempSync(join(tmpdir(), 'sett-bench-dirs-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

function bench(db: string, out: string): Promise<{ code: number | null; text: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [
      '--import', 'tsx', join(root, 'bench', 'run.ts'), 'fillrandom,readrandom,readseq', '--engines', 'sett',
      '--num', '20000', '--device-mib', '0', '--repeat', '2', '--db', db, '--out', out,
    ], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
    let text = ''
    child.stdout.on('data', (d: Buffer) => (text += d.toString()))
    child.stderr.on('data', (d: Buffer) => (text += d.toString()))
    child.on('close', (code) => done({ code, text }))
  })
}

describe('bench database directories', () => {
  it('two benches at once on one --db both finish, and leave nothing behind', async () => {
    const db = join(scratch, 'db')
    const [a, b] = await Promise.all([bench(db, join(scratch, 'out-a')), bench(db, join(scratch, 'out-b'))])
    for (const r of [a, b]) {
      expect(r.text).not.toMatch(/FAILED/)
      expect(r.text).toMatch(/\| readseq \| [\d.]+k? \|/)
      expect(r.code).toBe(0)
    }
    expect(readdirSync(db)).toEqual([])
  }, 120_000)
})
