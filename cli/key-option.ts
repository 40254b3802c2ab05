// Master keys on the command line: `--key <hex>` or `--key @<file>` (the file holds the key as
// hex text or as its raw 16, 24 or 32 bytes). A file keeps the key out of the process list and
// the shell history; the hex form is for scripts and tests.

import { readFileSync } from 'node:fs'
import { UsageError } from './io.js'

/** Where --key and friends are documented in each command's help. */
export const KEY_HELP = '32, 48 or 64 hex digits (AES-128/192/256), or @FILE (hex or raw bytes)'

function fromHex(text: string, name: string): Uint8Array {
  if (!/^([0-9a-fA-F]{32}|[0-9a-fA-F]{48}|[0-9a-fA-F]{64})$/.test(text)) {
    throw new UsageError(`--${name} must be 32, 48 or 64 hex digits (a 16, 24 or 32-byte key), or @FILE`)
  }
  return new Uint8Array(Buffer.from(text, 'hex'))
}

/** The key an option names, or undefined when the option is absent. */
export function parseKeyOption(value: string | undefined, name: string): Uint8Array | undefined {
  if (value === undefined) return undefined
  if (!value.startsWith('@')) return fromHex(value, name)
  let bytes: Buffer
  try {
    bytes = readFileSync(value.slice(1))
  } catch (err) {
    throw new UsageError(`--${name}: cannot read ${value.slice(1)}: ${(err as Error).message}`)
  }
  if (bytes.length === 16 || bytes.length === 24 || bytes.length === 32) return new Uint8Array(bytes)
  return fromHex(bytes.toString('utf8').trim(), name)
}

/** The environment variable every command that opens a database reads the master key from. */
export const KEY_ENV = 'SETT_ENCRYPTION_KEY'

/** The options every command that opens a database takes for its master key. */
export const KEY_OPTIONS = { key: { type: 'string' }, 'key-file': { type: 'string' } } as const

/** How --key, --key-file and the environment variable read in each command's help. */
export const KEY_OPTIONS_HELP = `  --key <key>        master key of an encrypted database: ${KEY_HELP}
  --key-file <file>  the same from a file (hex text or the raw bytes); keeps it out of ps
                     (without either, the key is read from $${KEY_ENV} when it is set)`

/** The master key from --key, --key-file or $SETT_ENCRYPTION_KEY, in that order; undefined for none. */
export function encryptionKeyFrom(values: Record<string, string | boolean | undefined>, env: NodeJS.ProcessEnv = process.env): Uint8Array | undefined {
  const key = typeof values.key === 'string' ? values.key : undefined
  const file = typeof values['key-file'] === 'string' ? values['key-file'] : undefined
  if (key !== undefined && file !== undefined) throw new UsageError('give --key or --key-file, not both')
  if (key !== undefined) return parseKeyOption(key, 'key')
  if (file !== undefined) return parseKeyOption(`@${file}`, 'key-file')
  const fromEnv = env[KEY_ENV]
  return fromEnv ? parseKeyOption(fromEnv.trim(), 'key') : undefined
}
