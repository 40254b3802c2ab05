// What every command shares: the output seam (so tests run commands in-process), exit codes,
// argument parsing with node:util, and turning engine errors into one clear line and an exit code.

import type { Readable, Writable } from 'node:stream'
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { CorruptionError, EncryptionKeyError, IOError, LockError, NotFoundError, SettError } from '../engine/index.js'

/** Where a command writes, and how a delegated command's child process gets its stdio. */
export interface Io {
  stdout(text: string): void
  stderr(text: string): void
  /**
   * True when stdout/stderr are the process's own: a child (bench, crash) then inherits them and
   * keeps its terminal (progress bars). False in tests: the child's output is piped through.
   */
  inheritStdio: boolean
  /** The folder holding bench/ and crash/; found from this file's location when absent. */
  projectRoot?: string
  /** Where `--out -` writes the bytes of a backup, and `--in -` reads them (process stdout/stdin). */
  stdoutBytes?: Writable
  stdinBytes?: Readable
  /**
   * Where progress bars go (process.stderr for the real command): a bar is drawn only when it is
   * a terminal (isTTY), so pipes, logs and tests get none.
   */
  progressStream?: Writable & { isTTY?: boolean }
}

export const EXIT_OK = 0
/** Corruption found, or a command failed (a missing or wrong key is a usage error, not damage). */
export const EXIT_FAILED = 1
/** Bad usage, or a missing, unreadable or locked directory. */
export const EXIT_USAGE = 2

export interface Command {
  name: string
  /** One line for `sett --help`. */
  summary: string
  /** The whole `sett <name> --help` text. */
  help: string
  run(args: string[], io: Io): Promise<number>
}

/** A usage mistake: reported with a pointer to --help, exit 2. */
export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>

export interface Parsed {
  values: Record<string, string | boolean | undefined>
  positionals: string[]
}

/** parseArgs in strict mode plus --help; unknown options and missing values become UsageError. */
export function parse(args: string[], options: Options): Parsed {
  try {
    const { values, positionals } = parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true })
    return { values: values as Parsed['values'], positionals }
  } catch (err) {
    if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) throw new UsageError((err as Error).message)
    throw err
  }
}

/** The one positional a command takes: the database directory. */
export function dirArgument(positionals: string[]): string {
  if (positionals.length === 0) throw new UsageError('missing <dir>')
  if (positionals.length > 1) throw new UsageError(`unexpected argument ${positionals[1]}`)
  return positionals[0]
}

/** Prints a command's failure as one line on stderr and returns its exit code. */
export function reportError(command: string, dir: string | undefined, err: unknown, io: Io): number {
  const where = dir === undefined ? '' : ` ${dir}`
  if (err instanceof UsageError) {
    io.stderr(`sett ${command}: ${err.message}\nRun 'sett ${command} --help' for usage.\n`)
    return EXIT_USAGE
  }
  if (err instanceof LockError) {
    io.stderr(
      `sett ${command}: the database${where} is in use: ${err.message}.\n` +
      "Close the program that has it open and retry. The lock is the operating system's: it goes\n" +
      'with the process that holds it, however that process ends, so there is no stale lock to remove.\n',
    )
    return EXIT_USAGE
  }
  if (err instanceof NotFoundError) {
    io.stderr(`sett ${command}: no database at${where}: ${err.message}\n`)
    return EXIT_USAGE
  }
  if (err instanceof IOError) {
    io.stderr(`sett ${command}: cannot read${where}: ${err.message}\n`)
    return EXIT_USAGE
  }
  if (err instanceof CorruptionError) {
    io.stderr(`sett ${command}: ${err.message}\nRun 'sett verify${where}' to check every file.\n`)
    return EXIT_FAILED
  }
  if (err instanceof EncryptionKeyError) {
    const where = command === 'rotate-key'
      ? 'The current master key goes in --old, the new one in --new'
      : 'The master key goes in --key, --key-file or $SETT_ENCRYPTION_KEY'
    io.stderr(`sett ${command}: ${err.message}\n${where} (see 'sett ${command} --help').\n`)
    return EXIT_USAGE
  }
  if (err instanceof SettError) {
    io.stderr(`sett ${command}: ${err.message} (${err.code})\n`)
    return EXIT_FAILED
  }
  io.stderr(`sett ${command}: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  return EXIT_FAILED
}

/** A string option's value (parseArgs types every value as string | boolean). */
export function stringOption(values: Parsed['values'], name: string): string | undefined {
  const v = values[name]
  return typeof v === 'string' ? v : undefined
}
