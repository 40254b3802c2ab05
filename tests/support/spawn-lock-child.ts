// Starts tests/support/lock-child.ts in a child process (optionally inside a new PID namespace)
// and reads its one JSON line. Test support only.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..', '..')
const childArgs = ['--import', 'tsx', join(here, 'lock-child.ts')]

export interface ChildReport {
  pid: number
  held?: boolean
  opened?: boolean
  grandchild?: number
  code?: string
  message?: string
}

export interface LockChild {
  process: ChildProcess
  report: Promise<ChildReport>
}

/** unshare's command line for a child in new PID and mount namespaces (its own /proc). */
const UNSHARE = ['unshare', '--pid', '--fork', '--mount-proc']

/**
 * Why a child cannot be started in a new PID namespace here, or undefined when it can (checked by
 * running `true` that way: unshare needs root or user namespaces, and a container may forbid both).
 */
export function pidNamespaceUnavailable(): string | undefined {
  const r = spawnSync(UNSHARE[0], [...UNSHARE.slice(1), 'true'], { encoding: 'utf8', timeout: 10_000 })
  if (r.error) return `${UNSHARE.join(' ')} cannot run: ${r.error.message}`
  if (r.status !== 0) return `${UNSHARE.join(' ')} true exited ${r.status ?? r.signal}: ${r.stderr.trim()}`
  return undefined
}

export function startLockChild(args: string[], opts: { pidNamespace?: boolean } = {}): LockChild {
  const node = [process.execPath, ...childArgs, ...args]
  const [cmd, ...rest] = opts.pidNamespace ? [...UNSHARE, ...node] : node
  const child = spawn(cmd, rest, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
  const report = new Promise<ChildReport>((ok, fail) => {
    let out = ''
    let err = ''
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const nl = out.indexOf('\n')
      if (nl >= 0) ok(JSON.parse(out.slice(0, nl)) as ChildReport)
    })
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
    child.on('exit', (code, signal) => fail(new Error(`lock child exited (${code ?? signal}) before reporting: ${err}`)))
  })
  report.catch(() => undefined) // a test that kills the child after the report does not care
  return { process: child, report }
}

/** Kills the child with `signal` and resolves once it has exited. */
export function killChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((ok) => {
    child.once('exit', () => ok())
    child.kill(signal)
  })
}
