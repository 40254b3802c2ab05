// `sett bench` and `sett crash`: run a script of the source tree (bench/run.ts, crash/run.ts)
// under tsx in a child process with the remaining arguments, and pass its exit code on.

import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { constants } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Command, EXIT_OK, EXIT_USAGE, type Io } from '../io.js'

/** The folder above this file that holds the package.json: the source tree or the installed package. */
function findProjectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir
    const up = dirname(dir)
    if (up === dir) return process.cwd()
    dir = up
  }
}

/** tsx's loader, for `node --import`; undefined when tsx is not installed (a published package). */
function tsxLoader(): string | undefined {
  try {
    return import.meta.resolve('tsx')
  } catch {
    return undefined
  }
}

export function delegateCommand(name: string, script: string, npmScript: string, summary: string, what: string): Command {
  const help = `Usage: sett ${name} [args...]

Runs ${what}: ${script} of the Sett source tree under tsx, with every argument after
'${name}' passed on unchanged (the same as 'npm run ${npmScript} -- [args...]'). Its own help:
'sett ${name} -- --help'. The exit code is the script's.

Available from a source checkout only (the published package ships neither ${script} nor tsx).
`
  return {
    name,
    summary,
    help,
    run(args: string[], io: Io): Promise<number> {
      if (args[0] === '--help' || args[0] === '-h') {
        io.stdout(help)
        return Promise.resolve(EXIT_OK)
      }
      const passed = args[0] === '--' ? args.slice(1) : args
      const root = io.projectRoot ?? findProjectRoot()
      const path = join(root, script)
      if (!existsSync(path)) {
        io.stderr(`sett ${name}: ${script} does not exist in ${root} yet (or this is not a source checkout), so there is nothing to run.\n`)
        return Promise.resolve(EXIT_USAGE)
      }
      const loader = tsxLoader()
      if (loader === undefined) {
        io.stderr(`sett ${name}: tsx is not installed; run 'npm ci' in ${root} first.\n`)
        return Promise.resolve(EXIT_USAGE)
      }
      return new Promise((resolve) => {
        const child = spawn(process.execPath, ['--import', loader, path, ...passed], {
          cwd: root,
          stdio: io.inheritStdio ? 'inherit' : ['ignore', 'pipe', 'pipe'],
        })
        child.stdout?.on('data', (chunk: Buffer) => io.stdout(chunk.toString()))
        child.stderr?.on('data', (chunk: Buffer) => io.stderr(chunk.toString()))
        child.on('error', (err) => {
          io.stderr(`sett ${name}: could not start ${script}: ${err.message}\n`)
          resolve(EXIT_USAGE)
        })
        child.on('close', (code, signal) => resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0)))
      })
    },
  }
}
