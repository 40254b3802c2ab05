// The peer engines live outside the project's lockfile, each in a folder of its own under
// bench/peers/ (lmdb in the main lockfile makes `npm ci` fail on this registry: TOOLCHAIN.md).
// The first bench run installs them with `npm install`; a peer that cannot be installed or
// loaded is reported and left out, and the rest run. Separate folders, so one peer's failure
// cannot take the other with it (npm prunes what a failed install leaves behind).

import { execFile } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)

export const PEERS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'peers')

/** The npm package behind each peer engine (each folder's package.json pins its version). */
export const PEER_PACKAGES = { 'classic-level': 'classic-level', lmdb: 'lmdb' } as const
export type PeerName = keyof typeof PEER_PACKAGES

export function peerDir(peer: PeerName): string {
  return join(PEERS_DIR, peer)
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
  if (!existsSync(join(dir, 'package.json'))) return { ok: false, reason: `${dir}/package.json is missing` }
  let installed = false
  const present = existsSync(join(dir, 'node_modules', PEER_PACKAGES[peer], 'package.json'))
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
