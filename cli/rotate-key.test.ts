// The sett commands on an encrypted database: info and verify read it only with --key (without
// it: a clear error naming the option), verify still finds a flipped bit, compact and gc take
// --key, and rotate-key re-seals the registry under a new master key without touching data files.

import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { EncryptionKeyError, open } from '../engine/index.js'
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, type Io, run } from './main.js'

const root = mkdtempSync(join(tmpdir(), 'sett-cli-enc-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

const OLD = Buffer.alloc(32, 0x11)
const NEW = Buffer.alloc(16, 0x22)

async function sett(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const io: Io = { stdout: (t) => (out += t), stderr: (t) => (err += t), inheritStdio: false }
  return { code: await run(argv, io), out, err }
}

async function encryptedDb(name: string): Promise<string> {
  const dir = join(root, name)
  const db = await open(dir, { encryptionKey: OLD, valueThreshold: 64 })
  for (let i = 0; i < 200; i++) await db.put(`key${i}`, `value${i}`.repeat(i % 2 ? 1 : 20))
  await db.flush()
  await db.put('after-flush', 'in the WAL')
  await db.close()
  return dir
}

const hashes = (dir: string): Record<string, string> =>
  Object.fromEntries(readdirSync(dir).map((n) => [n, createHash('sha256').update(readFileSync(join(dir, n))).digest('hex')]))

describe('sett on an encrypted database', () => {
  it('info and verify need --key, then read everything; verify finds damage', async () => {
    const dir = await encryptedDb('read')
    for (const command of ['info', 'verify']) {
      const without = await sett(command, dir)
      expect(without.code).toBe(EXIT_USAGE)
      expect(without.err).toMatch(/is encrypted.*\n.*--key, --key-file or \$SETT_ENCRYPTION_KEY/)
    }
    expect(await sett('verify', dir, '--key', OLD.toString('hex'))).toMatchObject({ code: EXIT_OK, out: expect.stringContaining('OK: no damage found') })
    const info = await sett('info', dir, '--key', OLD.toString('hex'))
    expect(info.code).toBe(EXIT_OK)
    expect(info.out).toMatch(/L0/)
    expect(info.out).not.toMatch(/leftovers: .*KEYREGISTRY/)
    expect(await sett('verify', dir, '--key', NEW.toString('hex'))).toMatchObject({ code: EXIT_USAGE, err: expect.stringContaining('wrong encryption key') })
    expect(await sett('verify', dir, '--key', 'abc')).toMatchObject({ code: EXIT_USAGE, err: expect.stringContaining('hex digits') })
    const table = readdirSync(dir).find((n) => n.endsWith('.sst'))!
    const bytes = readFileSync(join(dir, table))
    bytes[100] ^= 0x04
    writeFileSync(join(dir, table), bytes)
    const damaged = await sett('verify', dir, '--key', OLD.toString('hex'))
    expect(damaged.code).toBe(EXIT_FAILED)
    expect(damaged.err).toContain(`CORRUPT ${join(dir, table)}`)
  })

  it('compact and gc open it with --key', async () => {
    const dir = await encryptedDb('maintain')
    expect((await sett('compact', dir)).code).toBe(EXIT_USAGE)
    expect((await sett('compact', dir, '--key', OLD.toString('hex'))).code).toBe(EXIT_OK)
    const keyFile = join(root, 'maintain.key')
    writeFileSync(keyFile, `${OLD.toString('hex')}\n`)
    expect((await sett('gc', dir, '--key-file', keyFile)).code).toBe(EXIT_OK)
    process.env.SETT_ENCRYPTION_KEY = OLD.toString('hex')
    try {
      expect((await sett('info', dir)).code).toBe(EXIT_OK)
      expect((await sett('compact', dir)).code).toBe(EXIT_OK)
    } finally {
      delete process.env.SETT_ENCRYPTION_KEY
    }
    expect(await sett('info', dir, '--key', OLD.toString('hex'), '--key-file', keyFile)).toMatchObject({ code: EXIT_USAGE, err: expect.stringContaining('not both') })
  })

  it('backup and restore take the key; the restored copy opens with it', async () => {
    const dir = await encryptedDb('backup')
    const file = join(root, 'encrypted.bak')
    expect((await sett('backup', dir, '--out', file)).code).toBe(EXIT_USAGE)
    expect((await sett('backup', dir, '--out', file, '--key', OLD.toString('hex'))).code).toBe(EXIT_OK)
    const copy = join(root, 'encrypted-copy')
    expect((await sett('restore', copy, '--in', file, '--key', OLD.toString('hex'))).code).toBe(EXIT_OK)
    const db = await open(copy, { encryptionKey: OLD })
    expect(db.getSync('key3')?.toString()).toBe('value3')
    await db.close()
  })

  it('rotate-key re-seals the registry only; a wrong --old changes nothing', async () => {
    const dir = await encryptedDb('rotate')
    const before = hashes(dir)
    const wrong = await sett('rotate-key', dir, '--old', NEW.toString('hex'), '--new', OLD.toString('hex'))
    expect(wrong.code).toBe(EXIT_USAGE)
    expect(wrong.err).toContain('wrong encryption key')
    expect(wrong.err).toContain('--old')
    expect(wrong.err).not.toContain('--key')
    expect(hashes(dir)).toEqual(before)
    expect((await sett('rotate-key', dir, '--old', OLD.toString('hex'))).code).toBe(EXIT_USAGE)

    const keyFile = join(root, 'new.key')
    writeFileSync(keyFile, NEW) // raw bytes
    const done = await sett('rotate-key', dir, '--old', OLD.toString('hex'), '--new', `@${keyFile}`)
    expect(done).toMatchObject({ code: EXIT_OK, out: expect.stringContaining('128-bit master key') })
    const after = hashes(dir)
    for (const name of Object.keys(before)) {
      if (name === 'KEYREGISTRY') expect(after[name]).not.toBe(before[name])
      else expect(after[name], name).toBe(before[name])
    }
    await expect(open(dir, { encryptionKey: OLD })).rejects.toBeInstanceOf(EncryptionKeyError)
    const db = await open(dir, { encryptionKey: NEW })
    expect(db.getSync('key3')?.toString()).toBe('value3')
    expect(db.getSync('key4')?.toString()).toBe('value4'.repeat(20))
    expect(db.getSync('after-flush')?.toString()).toBe('in the WAL')
    await db.close()
  })

  it('rotate-key refuses a database that is not encrypted, and a missing one', async () => {
    const plain = join(root, 'plain')
    const db = await open(plain)
    await db.put('a', 'b')
    await db.close()
    const args = ['--old', OLD.toString('hex'), '--new', NEW.toString('hex')]
    expect(await sett('rotate-key', plain, ...args)).toMatchObject({ code: EXIT_USAGE, err: expect.stringContaining('not encrypted') })
    expect((await sett('rotate-key', join(root, 'missing'), ...args)).code).toBe(EXIT_USAGE)
  })
})
