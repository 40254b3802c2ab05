// The package as a user gets it: packed with `npm pack` (which runs `prepare`, the build) and
// installed into a fresh project from the tarball, and installed from a git checkout (which runs
// `prepare` in the clone); in each, `import 'sett'`, `require('sett')`, `npx sett --help`, and a
// tiny `sett bench` and `sett crash` run as compiled JavaScript and exit 0 with their reports.
// npm works from its cache first (--prefer-offline), so CI after `npm ci` needs no registry.
// The git install clones HEAD: uncommitted changes are not part of it.

import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

const repo = resolve(import.meta.dirname, '..', '..')
const work = mkdtempSync(join(tmpdir(), 'sett-install-'))
afterAll(() => rmSync(work, { recursive: true, force: true }), 120_000)

const NPM_FLAGS = ['--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error']

/** The environment without the npm variables of the `npm test` running us (they name this project). */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('npm_') || k === 'npm_config_cache') env[k] = v
  env.SETT_PEERS_DIR = join(work, 'peers')
  delete env.SETT_ASSERT
  return env
}

function sh(cmd: string, args: string[], cwd: string): { code: number; out: string } {
  const r = spawnSync(cmd, args, { cwd, env: cleanEnv(), encoding: 'utf8', timeout: 300_000, maxBuffer: 64 * 1024 * 1024 })
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` }
}

function freshProject(name: string): string {
  const dir = join(work, name)
  mkdirSync(dir)
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `try-${name}`, version: '1.0.0', private: true, type: 'module' }))
  return dir
}

/** What a user does first with an installed sett; every step must exit 0 with its report. */
function exercise(project: string): void {
  const esm = sh('node', ['--input-type=module', '-e', [
    "import { open } from 'sett'",
    "import { SettLevel } from 'sett/level'",
    "const db = await open('db1')",
    "await db.put('a', 'one')",
    "console.log('esm', (await db.get('a')).toString(), typeof SettLevel)",
    'await db.close()',
  ].join('\n')], project)
  expect(esm.out).toContain('esm one function')
  expect(esm.code).toBe(0)

  const cjs = sh('node', ['-e', "const { open } = require('sett'); console.log('cjs', typeof open)"], project)
  expect(cjs.out).toContain('cjs function')
  expect(cjs.code).toBe(0)

  const help = sh('npx', ['--no-install', 'sett', '--help'], project)
  expect(help.out).toMatch(/Usage: sett <command>/)
  expect(help.code).toBe(0)

  const bench = sh('npx', ['--no-install', 'sett', 'bench', 'fillrandom,readrandom', '--engines', 'sett', '--num', '2000', '--device-mib', '0',
    '--db', join(project, 'bench-db'), '--out', 'bench-out'], project)
  expect(bench.out).toMatch(/\| readrandom \| [\d.]+k? \|/)
  expect(bench.code).toBe(0)
  expect(readdirSync(join(project, 'bench-out')).sort()).toEqual(['latency.svg', 'report.html', 'results.json', 'results.md', 'throughput.svg'])

  const crash = sh('npx', ['--no-install', 'sett', 'crash', '--cycles', '2', '--power-points', '20', '--corruptions', '10', '--seed', '7', '--dir', project], project)
  expect(crash.out).toContain('VERDICT: PASS')
  expect(crash.code).toBe(0)
}

describe('the installed package', () => {
  it('installs from the packed tarball and runs import, --help, bench and crash', () => {
    const packed = execFileSync('npm', ['pack', '--pack-destination', work, '--loglevel=error'], { cwd: repo, env: cleanEnv(), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
    const tarball = join(work, packed.trim().split('\n').pop()!)
    expect(existsSync(tarball)).toBe(true)
    const listing = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n')
    expect(listing).toContain('package/LICENSE')
    expect(listing).toContain('package/dist/bench/run.js')
    expect(listing).toContain('package/dist/crash/run.js')
    expect(listing.filter((f) => f.includes('.test.'))).toEqual([])
    const project = freshProject('from-tarball')
    const install = sh('npm', ['install', tarball, ...NPM_FLAGS], project)
    expect(install.code, install.out).toBe(0)
    exercise(project)
  }, 600_000)

  it('installs from a git checkout (prepare builds it) and runs import, --help, bench and crash', () => {
    const clone = join(work, 'clone')
    execFileSync('git', ['clone', '--quiet', '--depth', '1', `file://${repo}`, clone], { env: cleanEnv() })
    const project = freshProject('from-git')
    const install = sh('npm', ['install', `git+file://${clone}`, ...NPM_FLAGS], project)
    expect(install.code, install.out).toBe(0)
    expect(existsSync(join(project, 'node_modules', 'sett', 'dist', 'engine', 'index.js'))).toBe(true)
    exercise(project)
  }, 600_000)
})
