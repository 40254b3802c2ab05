#!/usr/bin/env node
// cli: the `sett` command — info, verify, compact, gc, backup, restore, repair, and bench/crash delegated to their scripts.
// Relies on engine/ (open, inspectDatabase, verifyDatabase, errors) and base/ through it; node:util parseArgs.
// Must not touch engine internals: it reads a database only through engine/index.ts.
//
// Run as the package's bin (dist/cli/main.js) or from source (npm run sett -- <command>).
// run() takes the arguments and an Io and returns the exit code, so tests call it in-process.

import { realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { backupCommand } from './commands/backup.js'
import { benchCommand } from './commands/bench.js'
import { compactCommand } from './commands/compact.js'
import { crashCommand } from './commands/crash.js'
import { gcCommand } from './commands/gc.js'
import { rotateKeyCommand } from './commands/rotate-key.js'
import { infoCommand } from './commands/info.js'
import { repairCommand } from './commands/repair.js'
import { restoreCommand } from './commands/restore.js'
import { verifyCommand } from './commands/verify.js'
import { type Command, EXIT_OK, EXIT_USAGE, type Io } from './io.js'

export type { Io } from './io.js'
export { EXIT_FAILED, EXIT_OK, EXIT_USAGE } from './io.js'

const COMMANDS: Command[] = [infoCommand, verifyCommand, compactCommand, gcCommand, backupCommand, restoreCommand, repairCommand, rotateKeyCommand, benchCommand, crashCommand]

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length))
  return `Usage: sett <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

'sett <command> --help' describes one. info and verify only read: they never write to the
directory or take its LOCK, so they work on a closed database and, with a warning, beside a
running writer. compact, gc, restore and repair open the database and take the LOCK (exit 2 when it is
held); backup opens it read-only (shared with other readers, exit 2 while a writer holds it).

Exit codes: 0 ok; 1 damage found or a command failed; 2 usage error, a missing or locked directory,
or a missing or wrong encryption key.
`
}

export async function run(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined) {
    io.stderr(usage())
    return EXIT_USAGE
  }
  if (name === '--help' || name === '-h') {
    io.stdout(usage())
    return EXIT_OK
  }
  if (name === 'help') {
    const command = COMMANDS.find((c) => c.name === rest[0])
    io.stdout(command?.help ?? usage())
    return EXIT_OK
  }
  const command = COMMANDS.find((c) => c.name === name)
  if (command === undefined) {
    io.stderr(`sett: unknown command '${name}'\n\n${usage()}`)
    return EXIT_USAGE
  }
  return command.run(rest, io)
}

/** True when this module is the program node started (not imported by a test). */
function isMain(): boolean {
  const entry = process.argv[1]
  if (entry === undefined) return false
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url))
  } catch {
    return false
  }
}

if (isMain()) {
  const io: Io = {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    inheritStdio: true,
    stdoutBytes: process.stdout,
    stdinBytes: process.stdin,
    progressStream: process.stderr,
  }
  process.exitCode = await run(process.argv.slice(2), io)
}
