// The sett commands run in-process (run(argv, io)) against real temporary directories: info,
// verify on a healthy database and with a flipped bit in each kind of file, compact and gc,
// missing and locked directories, usage errors, --help, and the delegated bench/crash scripts.

import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { open } from '../engine/index.js'
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, type Io, run } from './main.js'

const root = mkdtempSync(join(tmpdir(), 'sett-cli-'))
let healthy: string

afterAll(() => rmSync(root, { recursive: true, force: true }))

/** Two L0 tables, a value log of two entries, and a WAL of two records after the last flush. */
beforeAll(async () => {
  healthy = join(root, 'healthy')
  const db = await open(healthy, { valueThreshold: 64 })
  for (let i = 0; i < 50; i++) await db.put(`k${String(i).padStart(3, '0')}`, `v${i}`)
  await db.flush()
  await db.put('big1', 'x'.repeat(200))
  await db.put('big2', 'y'.repeat(300))
  await db.flush()
  await db.put('w1', 'one')
  await db.put('w2', 'two')
  await db.close()
})

async function sett(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const io: Io = { stdout: (t) => (out += t), stderr: (t) => (err += t), inheritStdio: false }
  const code = await run(argv, io)
  return { code, out, err }
}

let copies = 0
function copyOf(dir: string): string {
  const to = join(root, `copy-${copies++}`)
  cpSync(dir, to, { recursive: true })
  return to
}

function fileOf(dir: string, match: (name: string) => boolean): string {
  const name = readdirSync(dir).find(match)
  if (name === undefined) throw new Error(`no such file in ${dir}`)
  return join(dir, name)
}

function flipBit(path: string, byte: number): void {
  const data = readFileSync(path)
  data[byte] ^= 0x10
  writeFileSync(path, data)
}

describe('sett info', () => {
  it('shows levels, tables, the value log, WALs and the last sequence', async () => {
    const { code, out, err } = await sett('info', healthy)
    expect(err).toBe('')
    expect(code).toBe(EXIT_OK)
    expect(out).toMatch(/^\s+L0\s+2 tables/m)
    expect(out).toMatch(/\d{6}\.sst .*50 entries\s+"k000" \.\. "k049"/)
    expect(out).toMatch(/\d{6}\.vlog .*ratio 0\.0%/)
    expect(out).toMatch(/\d{6}\.wal/)
    expect(out).toContain('last sequence 54 (manifest 52, WALs up to 54)')
    expect(out).toContain('leftovers: none')
    expect(out).toMatch(/space amplification \d+\.\d\dx/)
  })

  it('prints JSON with --json', async () => {
    const { code, out } = await sett('info', healthy, '--json')
    expect(code).toBe(EXIT_OK)
    const info = JSON.parse(out)
    expect(info.levels[0].tables).toHaveLength(2)
    expect(info.lastSeq).toBe(54)
  })
})

describe('sett verify', () => {
  it('passes a healthy database', async () => {
    const { code, out, err } = await sett('verify', healthy)
    expect({ code, err }).toEqual({ code: EXIT_OK, err: '' })
    expect(out).toContain('6 files checked')
    expect(out).toContain('OK: no damage found')
  })

  const cases: { kind: string; file: (name: string) => boolean; byte: number; offset: number }[] = [
    { kind: 'table', file: (n) => n.endsWith('.sst'), byte: 30, offset: 16 },
    { kind: 'WAL', file: (n) => n.endsWith('.wal'), byte: 16 + 13 + 2, offset: 16 },
    { kind: 'manifest', file: (n) => n.startsWith('MANIFEST-'), byte: 16 + 13 + 1, offset: 16 },
    { kind: 'CURRENT', file: (n) => n === 'CURRENT', byte: 20, offset: 0 },
    { kind: 'value log', file: (n) => n.endsWith('.vlog'), byte: 16 + 21 + 6, offset: 16 },
  ]
  for (const c of cases) {
    it(`exits 1 on a flipped bit in the ${c.kind}, naming the file and offset`, async () => {
      const dir = copyOf(healthy)
      const path = fileOf(dir, c.file)
      flipBit(path, c.byte)
      const { code, err } = await sett('verify', dir)
      expect(code).toBe(EXIT_FAILED)
      expect(err).toContain(`CORRUPT ${path} at offset ${c.offset}: `)
      expect(err).toContain('FAILED: 1 problem')
    })
  }

  it('reports a torn WAL tail and leftovers as notes, exit 0', async () => {
    const dir = copyOf(healthy)
    const wal = fileOf(dir, (n) => n.endsWith('.wal'))
    const data = readFileSync(wal)
    writeFileSync(wal, data.subarray(0, data.length - 3))
    writeFileSync(join(dir, '000099.tmp'), 'x')
    const { code, out } = await sett('verify', dir)
    expect(code).toBe(EXIT_OK)
    expect(out).toMatch(/note: .*\.wal at offset \d+: torn tail/)
    expect(out).toContain('leftover (not live): 000099.tmp')
  })

  it('warns and proceeds on a database another handle holds open', async () => {
    const dir = copyOf(healthy)
    const db = await open(dir)
    try {
      const { code, err } = await sett('verify', dir)
      expect(code).toBe(EXIT_OK)
      expect(err).toContain(`warning: ${dir} is open in process ${process.pid}`)
    } finally {
      await db.close()
    }
  })
})

describe('sett compact and gc', () => {
  it('compacts everything out of L0', async () => {
    const dir = copyOf(healthy)
    const { code, out } = await sett('compact', dir)
    expect(code).toBe(EXIT_OK)
    // Three: the WAL's two records, replayed at open, are flushed to a table of their own.
    expect(out).toMatch(/L0: 3 tables .* -> 0 tables/)
    // Levels are dynamic: a small database's L0 compacts straight into the last level.
    expect(out).toMatch(/L6: 0 tables .* -> 1 tables/)
    expect((await sett('verify', dir)).code).toBe(EXIT_OK)
  })

  it('collects a value-log file whose values were overwritten', async () => {
    const dir = join(root, 'gc')
    const db = await open(dir, { valueThreshold: 64, valueLogMaxEntries: 10 })
    for (let i = 0; i < 10; i++) await db.put(`k${i}`, 'a'.repeat(500))
    for (let i = 0; i < 10; i++) await db.put(`k${i}`, 'b'.repeat(500))
    await db.close()
    expect((await sett('compact', dir)).code).toBe(EXIT_OK)
    const { code, out } = await sett('gc', dir, '--ratio', '0.5')
    expect(code).toBe(EXIT_OK)
    expect(out).toMatch(/1 file collected/)
    expect(out).toMatch(/collected \d{6}\.vlog .*9\d\.\d% garbage/)
    expect((await sett('verify', dir)).code).toBe(EXIT_OK)
  })

  it('refuses a locked directory with exit 2 and says who holds it', async () => {
    const dir = copyOf(healthy)
    const db = await open(dir)
    try {
      for (const command of ['compact', 'gc']) {
        const { code, err } = await sett(command, dir)
        expect(code).toBe(EXIT_USAGE)
        expect(err).toContain(`sett ${command}: the database ${dir} is in use`)
        expect(err).toContain(`pid ${process.pid}`)
      }
    } finally {
      await db.close()
    }
  })
})

/** Every key and value of the database in `dir`, as hex pairs, read through a read-only open. */
async function contents(dir: string): Promise<string[]> {
  const db = await open(dir, { readOnly: true })
  try {
    return [...db.iterator()].map(([k, v]) => `${k.toString('hex')}=${v.toString('hex')}`)
  } finally {
    await db.close()
  }
}

describe('sett backup and restore', () => {
  it('round-trips a database, WAL and value log included, and then an incremental', async () => {
    const src = copyOf(healthy)
    const full = join(root, 'full.bak')
    const backup = await sett('backup', src, '--out', full)
    expect(backup).toMatchObject({ code: EXIT_OK, err: '' })
    expect(backup.out).toContain('full, until sequence 54')
    expect(backup.out).toContain('54 records')
    expect(backup.out).toContain(`--since 54`)
    const dst = join(root, 'restored')
    const restored = await sett('restore', dst, '--in', full)
    expect(restored).toMatchObject({ code: EXIT_OK, err: '' })
    expect(restored.out).toContain('full backup, until sequence 54')
    expect(await contents(dst)).toEqual(await contents(src))
    expect((await sett('verify', dst)).code).toBe(EXIT_OK)

    const db = await open(src)
    await db.del('k000')
    await db.put('big1', 'z'.repeat(400))
    await db.put('new', 'n')
    await db.close()
    const inc = join(root, 'inc.bak')
    expect((await sett('backup', src, '--out', inc, '--since', '54')).out).toContain('incremental since 54, until sequence 57')
    expect(await sett('restore', dst, '--in', inc)).toMatchObject({ code: EXIT_OK })
    expect(await contents(dst)).toEqual(await contents(src))
    // Applying it again changes nothing; an incremental onto a fresh directory is refused.
    expect((await sett('restore', dst, '--in', inc)).code).toBe(EXIT_OK)
    expect(await contents(dst)).toEqual(await contents(src))
    const orphan = await sett('restore', join(root, 'orphan'), '--in', inc)
    expect(orphan.code).toBe(EXIT_USAGE)
    expect(orphan.err).toContain('restore the full backup first')
  })

  it('refuses a damaged or cut backup with exit 1 and restores nothing', async () => {
    const file = join(root, 'to-damage.bak')
    expect((await sett('backup', healthy, '--out', file)).code).toBe(EXIT_OK)
    const bytes = readFileSync(file)
    const cases: [string, Buffer][] = [
      ['flipped', Buffer.from(bytes.map((b, i) => (i === 60 ? b ^ 4 : b)))],
      ['cut', bytes.subarray(0, bytes.length - 1)],
    ]
    for (const [name, data] of cases) {
      writeFileSync(file, data)
      const dst = join(root, `damaged-${name}`)
      const { code, err } = await sett('restore', dst, '--in', file)
      expect(code, name).toBe(EXIT_FAILED)
      expect(err).toContain('the backup is damaged')
      expect(err).toContain('Nothing was restored')
      expect(readdirSync(root)).not.toContain(`damaged-${name}`)
    }
  })

  it('exits 2 for a non-empty target, a locked or missing database, a missing file and bad options', async () => {
    const file = join(root, 'ok.bak')
    expect((await sett('backup', healthy, '--out', file)).code).toBe(EXIT_OK)
    const nonEmpty = await sett('restore', healthy, '--in', file)
    expect(nonEmpty.code).toBe(EXIT_USAGE)
    expect(nonEmpty.err).toContain('missing or empty directory')
    expect(await sett('restore', join(root, 'x'), '--in', join(root, 'nope.bak'))).toMatchObject({
      code: EXIT_USAGE, err: expect.stringContaining('no backup file at'),
    })
    const dir = copyOf(healthy)
    const db = await open(dir)
    try {
      const b = await sett('backup', dir, '--out', join(root, 'locked.bak'))
      expect(b.code).toBe(EXIT_USAGE)
      expect(b.err).toContain(`sett backup: the database ${dir} is in use`)
    } finally {
      await db.close()
    }
    const reader = await open(dir, { readOnly: true })
    try {
      expect((await sett('backup', dir, '--out', join(root, 'shared.bak'))).code).toBe(EXIT_OK) // readers share
      const inc = join(root, 'since-50.bak')
      expect((await sett('backup', dir, '--out', inc, '--since', '50')).code).toBe(EXIT_OK)
      const r = await sett('restore', dir, '--in', inc) // a writer: not while a reader holds it
      expect(r.code).toBe(EXIT_USAGE)
      expect(r.err).toContain(`sett restore: the database ${dir} is in use`)
    } finally {
      await reader.close()
    }
    expect(await sett('backup', join(root, 'missing-db'), '--out', file)).toMatchObject({ code: EXIT_USAGE, err: expect.stringContaining('no database at') })
    expect(readdirSync(root)).not.toContain('missing-db')
    expect(await sett('backup', healthy)).toMatchObject({ code: EXIT_USAGE, err: expect.stringContaining('missing --out') })
    expect(await sett('backup', healthy, '--out', file, '--since', 'x')).toMatchObject({ code: EXIT_USAGE, err: expect.stringContaining('--since') })
    expect(await sett('restore', healthy)).toMatchObject({ code: EXIT_USAGE, err: expect.stringContaining('missing --in') })
  })
})

describe('usage and missing directories', () => {
  it('exits 2 for a missing directory or one without a database, and creates nothing', async () => {
    const missing = join(root, 'missing')
    const empty = join(root, 'empty')
    mkdirSync(empty)
    for (const command of ['info', 'verify', 'compact', 'gc']) {
      for (const dir of [missing, empty]) {
        const { code, err } = await sett(command, dir)
        expect(code).toBe(EXIT_USAGE)
        expect(err).toContain(`sett ${command}: no database at ${dir}`)
      }
    }
    expect(readdirSync(root)).not.toContain('missing')
    expect(readdirSync(empty)).toEqual([])
  })

  it('exits 2 on usage errors and prints help with --help', async () => {
    expect((await sett()).code).toBe(EXIT_USAGE)
    expect(await sett('frobnicate')).toMatchObject({ code: EXIT_USAGE, err: expect.stringContaining("unknown command 'frobnicate'") })
    expect(await sett('info')).toMatchObject({ code: EXIT_USAGE, err: expect.stringContaining('missing <dir>') })
    expect(await sett('verify', healthy, '--bogus')).toMatchObject({ code: EXIT_USAGE, err: expect.stringContaining("'--bogus'") })
    expect(await sett('gc', healthy, '--ratio', '2')).toMatchObject({ code: EXIT_USAGE, err: expect.stringContaining('--ratio') })
    const top = await sett('--help')
    expect(top.code).toBe(EXIT_OK)
    for (const command of ['info', 'verify', 'compact', 'gc', 'backup', 'restore', 'bench', 'crash']) {
      expect(top.out).toMatch(new RegExp(`^  ${command} `, 'm'))
      const { code, out } = await sett(command, '--help')
      expect(code).toBe(EXIT_OK)
      expect(out).toMatch(new RegExp(`^Usage: sett ${command} `))
      expect((await sett('help', command)).out).toBe(out)
    }
  })
})

describe('sett bench and crash', () => {
  it('says so when the script does not exist yet', async () => {
    let err = ''
    const io: Io = { stdout: () => undefined, stderr: (t) => (err += t), inheritStdio: false, projectRoot: join(root, 'no-scripts') }
    expect(await run(['crash', '--quick'], io)).toBe(EXIT_USAGE)
    expect(err).toContain('crash/run.ts is missing')
  })

  it('says what a run costs in time and disk', async () => {
    for (const command of ['bench', 'crash']) {
      const { out } = await sett(command, '--help')
      expect(out).toMatch(/What a run costs:/)
      expect(out).toMatch(/tiny .*s/)
      expect(out).toMatch(/MiB|GiB/)
    }
    expect((await sett('bench', '--help')).out).toContain('.cache/sett/peers')
  })

  it('runs the script under tsx with the remaining arguments and passes its exit code on', async () => {
    const project = join(root, 'project')
    mkdirSync(join(project, 'bench'), { recursive: true })
    writeFileSync(join(project, 'bench', 'run.ts'), "const args: string[] = process.argv.slice(2)\nconsole.log(`args ${args.join(' ')}`)\nprocess.exitCode = 3\n")
    let out = ''
    const io: Io = { stdout: (t) => (out += t), stderr: () => undefined, inheritStdio: false, projectRoot: project }
    expect(await run(['bench', '--quick', 'fillrandom'], io)).toBe(3)
    expect(out).toBe('args --quick fillrandom\n')
  })
})
