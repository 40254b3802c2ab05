// Progress bars of the long commands (compact, gc, backup, restore, verify; repair's is with its
// own tests): drawn on the progress stream when it is a terminal, and nothing at all written to it
// when it is not (a pipe, a log, CI), with the same result printed either way.

import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { open } from '../engine/index.js'
import { EXIT_OK, type Io, run } from './main.js'

const root = mkdtempSync(join(tmpdir(), 'sett-cli-progress-'))
let fixture: string

afterAll(() => rmSync(root, { recursive: true, force: true }))

/** Tables, and value-log files with garbage (big values overwritten, then compacted). */
beforeAll(async () => {
  fixture = join(root, 'db')
  const db = await open(fixture, { valueThreshold: 256, valueLogFileSize: 64 * 1024, compactionWorker: false })
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 200; i++) await db.put(`k${String(i).padStart(4, '0')}`, `${round}`.repeat(1000))
    await db.flush()
  }
  await db.compactRange()
  await db.close()
})

function terminal(isTTY: boolean): { stream: Writable & { isTTY?: boolean }; text: () => string } {
  let text = ''
  const stream = Object.assign(new Writable({ write(chunk, _enc, cb) { text += chunk.toString(); cb() } }), {
    isTTY, columns: 120, cursorTo: () => true, clearLine: () => true, moveCursor: () => true,
  })
  return { stream, text: () => text }
}

async function sett(argv: string[], progressStream: Writable & { isTTY?: boolean }): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const io: Io = { stdout: (t) => (out += t), stderr: (t) => (err += t), inheritStdio: false, progressStream }
  return { code: await run(argv, io), out, err }
}

let copies = 0
const copy = (): string => {
  const to = join(root, `copy-${copies++}`)
  cpSync(fixture, to, { recursive: true })
  return to
}

describe('progress bars', () => {
  const commands: [string, () => string[]][] = [
    ['verify', () => ['verify', copy()]],
    ['compact', () => ['compact', copy()]],
    ['gc', () => ['gc', copy(), '--ratio', '0.1']],
    ['backup', () => ['backup', copy(), '--out', join(root, `b-${copies}.bak`)]],
    ['restore', () => {
      const bak = join(root, 'r.bak')
      return ['restore', join(root, `restored-${copies++}`), '--in', bak]
    }],
  ]

  beforeAll(async () => {
    expect((await sett(['backup', fixture, '--out', join(root, 'r.bak')], terminal(false).stream)).code).toBe(EXIT_OK)
  })

  for (const [name, argv] of commands) {
    it(`${name}: a bar on a terminal, nothing on a pipe, the same result`, async () => {
      const tty = terminal(true)
      const a = await sett(argv(), tty.stream)
      expect(a.code, a.err).toBe(EXIT_OK)
      expect(tty.text()).toMatch(new RegExp(`${name} \\[`))
      const pipe = terminal(false)
      const b = await sett(argv(), pipe.stream)
      expect(b.code, b.err).toBe(EXIT_OK)
      expect(pipe.text()).toBe('')
      expect(b.err).toBe('')
      const shape = (s: string): string => s.replace(/[\d.]+/g, 'N').replace(/copy-N|restored-N|b-N/g, 'X')
      expect(shape(b.out)).toBe(shape(a.out))
    })
  }
})
