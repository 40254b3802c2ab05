// SettSnapshot: abstract-level's explicit snapshot token around a Sett Snapshot. abstract-level
// counts the reads using it (ref/unref) and calls _close() once, after the last read, when the
// snapshot or its database closes; only then is the Sett snapshot released, which lets
// compaction drop the versions it kept.

import { AbstractSnapshot } from 'abstract-level'
import type { Snapshot } from '../engine/index.js'

// abstract-level's declarations omit the constructor's options argument ({ owner }: the database
// that closes the snapshot on close(), a sublevel when it made the snapshot).
const SnapshotBase = AbstractSnapshot as unknown as new (options: { owner: unknown }) => AbstractSnapshot

export class SettSnapshot extends SnapshotBase {
  /** @internal the Sett snapshot reads go to. Valid until _close(). */
  readonly inner: Snapshot

  constructor(options: { owner: unknown }, inner: Snapshot) {
    super(options)
    this.inner = inner
  }

  async _close(): Promise<void> {
    this.inner.release()
  }
}

/** The Sett snapshot behind a `snapshot` read option, or undefined for "the latest state". */
export function settSnapshotOf(snapshot: unknown): Snapshot | undefined {
  if (snapshot === undefined || snapshot === null) return undefined
  if (!(snapshot instanceof SettSnapshot)) throw new TypeError('options.snapshot must be a snapshot of a SettLevel database')
  return snapshot.inner
}
