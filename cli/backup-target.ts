// Where `sett backup --out` writes: `-` is standard output; an existing path that is not a regular
// file (a terminal, a pipe, /dev/stdout) is written to directly, never renamed over (renaming a
// file onto /dev/stdout as root replaces the device node); a directory is refused; otherwise the
// engine's own file path, written as <out>.partial and renamed into place when complete.

import { createWriteStream, existsSync, statSync } from 'node:fs'
import { once } from 'node:events'
import { dirname, resolve } from 'node:path'
import type { Writable } from 'node:stream'
import { type Io, UsageError } from './io.js'

export interface BackupTarget {
  /** What db.backup() takes: the path, or a stream. */
  dest: string | Writable
  /** Ends a stream the command opened (not stdout); a no-op for a path. */
  close(): Promise<void>
  /** The summary goes to stderr when the backup's bytes go to stdout. */
  toStdout: boolean
}

export function backupTarget(out: string, io: Io): BackupTarget {
  if (out === '-') {
    if (io.stdoutBytes === undefined) throw new UsageError('--out - needs a standard output to write to')
    return { dest: io.stdoutBytes, close: () => Promise.resolve(), toStdout: true }
  }
  if (existsSync(out)) {
    const st = statSync(out)
    if (st.isDirectory()) throw new UsageError(`--out ${out} is a directory; name a file inside it`)
    if (!st.isFile()) {
      const stream = createWriteStream(out, { flags: 'w' })
      return {
        dest: stream,
        close: async () => {
          stream.end()
          await once(stream, 'close')
        },
        toStdout: false,
      }
    }
  } else if (!existsSync(dirname(resolve(out)))) {
    throw new UsageError(`the output directory ${dirname(resolve(out))} does not exist (create it first)`)
  }
  return { dest: out, close: () => Promise.resolve(), toStdout: false }
}
