// `sett bench` and `sett crash`: run bench/run or crash/run in a child process with the remaining
// arguments and pass its exit code on. From the built package (this file is .js) the compiled
// dist/bench/run.js or dist/crash/run.js runs under plain node; from sources (.ts, under tsx or
// vitest) the .ts script runs under tsx's loader.

import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { constants } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Command, EXIT_OK, EXIT_USAGE, type Io } from '../io.js'

const here = dirname(fileURLToPath(import.meta.url))
const fromSource = import.meta.url.endsWith('.ts')

/** The folder holding bench/ and crash/ beside cli/: the source tree, or dist/ of the package. */
function scriptRoot(): string {
  return join(here, '..', '..')
}

/** tsx's loader, for `node --import`; undefined when tsx is not installed. */
function tsxLoader(): string | undefined {
  try {
    return import.meta.resolve('tsx')
  } catch {
    return undefined
  }
}

export function delegateCommand(name: string, script: string, summary: string, help: string): Command {
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
      const root = io.projectRoot ?? scriptRoot()
      const file = join(root, `${script}${fromSource ? '.ts' : '.js'}`)
      if (!existsSync(file)) {
        io.stderr(`sett ${name}: ${file} is missing: this installation of sett is incomplete (reinstall it).\n`)
        return Promise.resolve(EXIT_USAGE)
      }
      const execArgv: string[] = []
      if (fromSource) {
        const loader = tsxLoader()
        if (loader === undefined) {
          io.stderr(`sett ${name}: running from sources needs tsx; run 'npm ci' first, or 'npm run build' and use dist/cli/main.js.\n`)
          return Promise.resolve(EXIT_USAGE)
        }
        execArgv.push('--import', loader)
      }
      return new Promise((resolve) => {
        const child = spawn(process.execPath, [...execArgv, file, ...passed], {
          stdio: io.inheritStdio ? 'inherit' : ['ignore', 'pipe', 'pipe'],
        })
        child.stdout?.on('data', (chunk: Buffer) => io.stdout(chunk.toString()))
        child.stderr?.on('data', (chunk: Buffer) => io.stderr(chunk.toString()))
        child.on('error', (err) => {
          io.stderr(`sett ${name}: could not start ${file}: ${err.message}\n`)
          resolve(EXIT_USAGE)
        })
        child.on('close', (code, signal) => resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0)))
      })
    },
  }
}
