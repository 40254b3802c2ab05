// Lifecycle: the steps of opening (lock, recovery, first background pass) and closing (drain the
// writer queue and lanes, sync, close every file, release the lock) a database. db.ts calls these
// two and nothing else here.
//
// Owns: nothing kept. Touches in EngineState: `lifecycle`, `manifest`, `wal`, `walNumber`,
// `frozen` (set once at open), every file handle at close.
// Must never: run at any other time than DB.open and DB.close; skip the WAL sync at a clean close
// (writes made without `sync` rely on it).

import { ClosedError, NotFoundError } from '../base/errors.js'
import { CURRENT_FILE, LOCK_FILE, filePath } from '../base/filenames.js'
import type { FileLock } from '../base/fs.js'
import type { BackgroundWork } from './background.js'
import { type RecoveryReport, recover } from './recovery.js'
import type { EngineState } from './state.js'
import type { Subscriptions } from './subscriptions.js'

/** Locks the directory and recovers; on failure closes what it opened and rethrows. */
export async function openFiles(s: EngineState, lanes: BackgroundWork): Promise<{ lock: FileLock; report: RecoveryReport }> {
  const { fs, dir } = s
  const readOnly = s.options.readOnly
  if (s.options.createIfMissing) fs.mkdir(dir)
  // Before the lock (list() throws NotFoundError for a missing directory): LOCK is never removed,
  // so a directory without a database is refused before one is created in it.
  else if (!fs.list(dir).includes(CURRENT_FILE)) throw new NotFoundError(`no database in ${dir} (createIfMissing is false)`)
  const lock = fs.lock(filePath(dir, LOCK_FILE), readOnly ? 'shared' : 'exclusive')
  let report: RecoveryReport
  try {
    await s.encryption?.persist()
    const state = await recover({
      fs, dir, options: s.options, versions: s.versions,
      openTable: (f) => lanes.openTable(f),
      newMemtable: () => s.newMemtable(),
      flush: (mem) => lanes.writeLevel0(mem),
      valueLog: s.vlog,
      readOnly,
    })
    // The replayed WALs come back as frozen memtables, which the flush lane writes once open()
    // has resolved (lanes.schedule() below). Read-only: no manifest or WAL is open (every write
    // path checks writability first), and they stay in memory, never flushed.
    s.manifest = state.manifest!
    s.wal = state.wal!
    s.walNumber = state.walNumber
    report = state.report
    s.frozen = state.memtables.reverse()
  } catch (err) {
    s.lifecycle = 'closed'
    for (const f of s.versions.current.allFiles()) f.reader?.close()
    await s.vlog.close().catch(() => undefined)
    await s.runner.close()
    if (s.flushRunner !== s.runner) await s.flushRunner.close()
    await s.encryption?.close()
    lock.release()
    throw err
  }
  s.memory.rebalance(s.versions.current)
  lanes.schedule()
  return { lock, report }
}

/**
 * Waits for queued writes, lets the running background step finish, syncs the WAL (so writes
 * made without `sync` survive a clean close), closes iterators and files, and releases the lock.
 * requires: s.lifecycle was 'open'.
 */
export async function closeEngine(
  s: EngineState, writes: { idle(): Promise<void> }, lanes: BackgroundWork, subscriptions: Subscriptions, lock: FileLock | undefined,
): Promise<void> {
  s.lifecycle = 'closing'
  let error: unknown
  try {
    // Writers waiting for a blocking subscriber's room would never finish: stop the waiting first.
    subscriptions.stopBlocking()
    await writes.idle()
    await lanes.settle()
    lanes.failQueued(new ClosedError('database closed during compactRange'), new ClosedError('database closed during dropPrefix'))
    // After a failure nothing more is fsynced: it would vouch for bytes that may be gone.
    if (s.failure.failed === undefined && !s.options.readOnly) {
      // Both files close next: these syncs write no zero tail that close would cut again.
      s.vlog.endPreallocation()
      s.wal.endPreallocation()
      await s.vlog.sync()
      await s.wal.sync()
    }
  } catch (err) {
    error = err
  }
  s.lifecycle = 'closed'
  s.memory.dropSpare()
  subscriptions.closeAll()
  for (const it of [...s.iterators]) it.abandon()
  try {
    await s.runner.close()
    if (s.flushRunner !== s.runner) await s.flushRunner.close()
    await s.vlog.close()
    // After a failure the WAL claims nothing more: a synced record's values may be what failed.
    await s.wal?.close({ claim: s.failure.failed === undefined })
    await s.manifest?.close()
  } catch (err) {
    error ??= err
  }
  for (const f of s.versions.current.allFiles()) f.reader?.close()
  try {
    await s.encryption?.close()
    lock?.release()
  } catch (err) {
    error ??= err
  }
  if (error !== undefined) throw error
}
