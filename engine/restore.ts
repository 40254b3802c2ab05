// restore(dir, backup): a backup file or stream into a database directory, in one call (the CLI's
// `sett restore`). A full backup goes into a missing or empty directory; an incremental one onto
// the database a previous restore made there. The backup is checked end to end before the
// directory is touched, so a damaged or cut backup leaves no trace (see engine/backup.ts).

import { dirname, resolve } from 'node:path'
import { InvalidArgumentError, NotFoundError } from '../base/errors.js'
import { RealFileSystem } from '../base/real-fs.js'
import { type BackupSource, type LoadOptions, applyBackup, checkLoadable, verifyBackup } from './backup.js'
import type { BackupSummary } from './backup-format.js'
import { DB } from './db.js'
import type { Options } from './options.js'

export type RestoreOptions = Omit<Options, 'createIfMissing' | 'errorIfExists'> & LoadOptions

/**
 * Restores a backup into `dir`: a full backup creates the database (the directory must be missing
 * or empty), an incremental one is applied to the database there (at or past the backup's
 * `since`). The database is closed when this resolves, everything written durably.
 */
export async function restore(dir: string, source: BackupSource, options: RestoreOptions = {}): Promise<BackupSummary> {
  if (typeof dir !== 'string' || dir.length === 0) throw new InvalidArgumentError('dir must be a non-empty string')
  const fs = options.fs ?? new RealFileSystem()
  const spoolPath = options.spoolPath ?? `${resolve(dir)}.restore-${process.pid}.spool`
  if (typeof source !== 'string') fs.mkdir(dirname(spoolPath))
  const verified = await verifyBackup(fs, source, spoolPath, options.onProgress)
  try {
    const full = verified.summary.since === 0
    if (full) {
      let names: string[] = []
      try {
        names = fs.list(dir)
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err
      }
      if (names.length > 0) {
        throw new InvalidArgumentError(`a full backup restores only into a missing or empty directory; ${dir} holds ${names.length} entries`)
      }
    }
    // The load's own options are not open()'s (which refuses names it does not know).
    const { spoolPath: _spool, onProgress: _progress, ...openOptions } = options
    const db = await DB.open(dir, { ...openOptions, fs, createIfMissing: full, errorIfExists: false })
    try {
      checkLoadable(verified.summary, db.stats().lastSeq, dir)
      return await applyBackup(db.loadTarget(), verified)
    } finally {
      await db.close()
    }
  } finally {
    verified.cleanup()
  }
}
