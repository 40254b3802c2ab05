// The peer engines live outside the project's lockfile and outside any node_modules, each in a
// folder of its own under a cache directory: $SETT_PEERS_DIR, else $XDG_CACHE_HOME/sett/peers,
// else ~/.cache/sett/peers (lmdb in the main lockfile makes `npm ci` fail on this registry:
// TOOLCHAIN.md), so an installed package (read-only node_modules, no bench/peers/) can fetch
// them too, and every checkout and install reuses them.
// The first bench run installs them with `npm install`; a peer that cannot be installed or
// loaded is reported and left out, and the rest run. Separate folders, so one peer's failure
// cannot take the other with it (npm prunes what a failed install leaves behind).

import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** Where the peers' folders go; read per call so a test or a user can point it elsewhere. */
export function peersDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SETT_PEERS_DIR) return resolve(env.SETT_PEERS_DIR)
  const cache = env.XDG_CACHE_HOME ? resolve(env.XDG_CACHE_HOME) : join(homedir(), '.cache')
  return join(cache, 'sett', 'peers')
}

/** The npm package behind each peer engine. */
export const PEER_PACKAGES = { 'classic-level': 'classic-level', lmdb: 'lmdb' } as const
export type PeerName = keyof typeof PEER_PACKAGES

/** The versions measured (RESULTS.md): pinned, so runs on different days compare the same code. */
export const PEER_VERSIONS: Record<PeerName, string> = { 'classic-level': '3.0.0', lmdb: '3.5.6' }

export function peerDir(peer: PeerName): string {
  return join(peersDir(), peer)
}

/** The folder's package.json, pinning the version; rewritten when the pin changes. */
function writePeerPackage(peer: PeerName): void {
  const dir = peerDir(peer)
  mkdirSync(dir, { recursive: true })
  const pkg = JSON.stringify({
    name: `sett-bench-peer-${peer}`,
    private: true,
    description: `${peer} for 'sett bench', installed on demand outside any project's lockfile.`,
    dependencies: { [PEER_PACKAGES[peer]]: PEER_VERSIONS[peer] },
  }, null, 2) + '\n'
  const file = join(dir, 'package.json')
  if (!existsSync(file) || readFileSync(file, 'utf8') !== pkg) writeFileSync(file, pkg)
}

/** Loads a peer's package from its folder (CommonJS entry; both peers ship one). */
export function requirePeer<T>(peer: PeerName): T {
  const require = createRequire(join(peerDir(peer), 'package.json'))
  return require(PEER_PACKAGES[peer]) as T
}

export function peerVersion(peer: PeerName): string {
  const file = join(peerDir(peer), 'node_modules', PEER_PACKAGES[peer], 'package.json')
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version
}

export type PeerStatus = { ok: true; version: string; installed: boolean } | { ok: false; reason: string }

/** Loads the package in a throwaway process, so a broken native binary cannot take the bench down. */
async function tryLoad(peer: PeerName): Promise<string | undefined> {
  const script = `require(${JSON.stringify(PEER_PACKAGES[peer])})`
  try {
    await run(process.execPath, ['-e', script], { cwd: peerDir(peer), timeout: 60_000 })
    return undefined
  } catch (err) {
    const e = err as { stderr?: string; message: string }
    return lastLines(e.stderr || e.message)
  }
}

/** The gist of a failure: npm's own error lines when there are some, else the last lines. */
function lastLines(text: string, n = 3): string {
  const lines = text.trim().split('\n').filter((l) => l.trim() !== '')
  const npm = lines.filter((l) => l.startsWith('npm error') && !l.includes('complete log'))
  return (npm.length > 0 ? npm.slice(0, 2) : lines.slice(-n)).join(' | ')
}

/**
 * Makes each peer usable: installs it on first use (`npm install` in its folder, no lockfile),
 * then loads it once in a separate process. Never throws: a failure becomes { ok: false, reason }.
 */
export async function ensurePeer(peer: PeerName, log: (line: string) => void): Promise<PeerStatus> {
  const dir = peerDir(peer)
  try {
    writePeerPackage(peer)
  } catch (err) {
    return { ok: false, reason: `cannot write ${dir}/package.json (set SETT_PEERS_DIR to a writable folder): ${(err as Error).message}` }
  }
  let installed = false
  const present = existsSync(join(dir, 'node_modules', PEER_PACKAGES[peer], 'package.json')) &&
    peerVersion(peer) === PEER_VERSIONS[peer]
  if (!present || (await tryLoad(peer)) !== undefined) {
    log(`installing ${peer} into ${dir} (first run; npm install) …`)
    try {
      await run('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock', '--loglevel=error'], {
        cwd: dir, timeout: 600_000, maxBuffer: 16 * 1024 * 1024,
      })
      installed = true
    } catch (err) {
      const e = err as { stderr?: string; message: string }
      return { ok: false, reason: `npm install failed: ${lastLines(e.stderr || e.message)}` }
    }
  }
  const loadError = await tryLoad(peer)
  if (loadError !== undefined) return { ok: false, reason: `installed but does not load: ${loadError}` }
  return { ok: true, version: peerVersion(peer), installed }
}
