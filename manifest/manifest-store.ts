// The manifest on disk: CURRENT names the live MANIFEST-NNNNNN, a record log (wal/ framing) of
// version edits whose first record is a snapshot of the whole state.
//
// Publishing a new manifest is ordered write → fsync → publish → fsync dir:
//   write MANIFEST-N (snapshot edit) → sync it → sync dir → write NNNNNN.tmp with CURRENT's text
//   → sync it → rename to CURRENT → sync dir.
// A crash anywhere leaves either the old CURRENT (and its manifest, still intact) or the new one.
//
// Commit records: every edit (and the snapshot) is followed by an empty record, and each is
// synced: edit → fsync → commit record → fsync → the caller acts. So on recovery a damaged last
// record is either an edit that nothing acted on (a crash before its commit record was durable)
// or a commit record whose edit is intact before it. The reader's rule — a bad record with no
// valid record after it is a torn tail — is then safe: a flipped bit in an edit that was acted
// on always has its commit record after it, so it reads as corruption, never as a torn tail.
//
// CURRENT (text, format version 1):
//   sett-current 1\n
//   MANIFEST-000005\n
//   <masked CRC-32 of the manifest name, 8 lowercase hex digits>\n

import { checksum } from '../base/checksum.js'
import { CorruptionError, NotFoundError } from '../base/errors.js'
import {
  CURRENT_FILE, filePath, manifestFileName, parseFileName, tempFileName,
} from '../base/filenames.js'
import type { FileSystem } from '../base/fs.js'
import { LogWriter, readLog } from '../wal/index.js'
import { type VersionEdit, decodeVersionEdit, encodeVersionEdit } from './version-edit.js'
import type { VersionSet } from './version.js'

const CURRENT_HEADER = 'sett-current 1'
const utf8 = new TextEncoder()
const fromUtf8 = new TextDecoder('utf-8', { fatal: false })

function currentText(manifestName: string): string {
  const crc = checksum(utf8.encode(manifestName)).toString(16).padStart(8, '0')
  return `${CURRENT_HEADER}\n${manifestName}\n${crc}\n`
}

/** The manifest number CURRENT names, or undefined when there is no CURRENT. */
export function readCurrent(fs: FileSystem, dir: string): number | undefined {
  const path = filePath(dir, CURRENT_FILE)
  if (!fs.exists(path)) return undefined
  const text = fromUtf8.decode(fs.readFile(path))
  const [header, name, crc, rest] = text.split('\n')
  const parsed = name === undefined ? undefined : parseFileName(name)
  if (header !== CURRENT_HEADER || rest !== '' || !parsed || parsed.kind !== 'manifest') {
    throw new CorruptionError(path, 0, 'CURRENT is not in the expected format')
  }
  if (crc !== checksum(utf8.encode(name)).toString(16).padStart(8, '0')) {
    throw new CorruptionError(path, 0, 'CURRENT checksum mismatch')
  }
  return parsed.number
}

/** Replays the manifest CURRENT names into `versions`. Returns the manifest's number. */
export function recoverManifest(fs: FileSystem, dir: string, versions: VersionSet): number {
  const number = readCurrent(fs, dir)
  if (number === undefined) throw new NotFoundError(`${dir} has no CURRENT file`)
  const path = filePath(dir, manifestFileName(number))
  if (!fs.exists(path)) throw new CorruptionError(path, 0, 'CURRENT names a manifest that does not exist')
  const file = fs.openRead(path)
  try {
    let records = 0
    readLog(file, 'manifest', { tolerateTornTail: true }, (rec) => {
      if (rec.payload.length === 0) return // a commit record
      versions.apply(decodeVersionEdit(rec.payload, path, rec.offset), { file: path, offset: rec.offset })
      records++
    })
    if (records === 0) throw new CorruptionError(path, 0, 'manifest holds no snapshot record')
  } finally {
    file.close()
  }
  return number
}

const COMMIT_RECORD = new Uint8Array(0)

async function appendCommitted(log: LogWriter, payload: Uint8Array): Promise<void> {
  log.append(payload)
  await log.sync()
  log.append(COMMIT_RECORD)
  await log.sync()
}

/** The live manifest: appends edits durably. */
export class ManifestWriter {
  readonly number: number
  private readonly log: LogWriter
  /** Appends run one at a time: an edit and its commit record must be adjacent. */
  private tail: Promise<void> = Promise.resolve()
  /**
   * The first failed edit. Later edits are refused with it: one appended behind a record whose
   * fsync failed would sit behind bytes that may be gone, and the manifest would not open.
   */
  private failure: unknown = undefined

  private constructor(number: number, log: LogWriter) {
    this.number = number
    this.log = log
  }

  /**
   * Writes a new manifest holding `snapshot`, makes it durable and switches CURRENT to it.
   * The caller removes the previous manifest afterwards.
   */
  static async create(fs: FileSystem, dir: string, number: number, snapshot: VersionEdit): Promise<ManifestWriter> {
    const log = LogWriter.create(fs.create(filePath(dir, manifestFileName(number))), 'manifest')
    await appendCommitted(log, encodeVersionEdit(snapshot))
    await fs.syncDir(dir)
    const tmp = filePath(dir, tempFileName(number))
    const f = fs.create(tmp)
    f.append(utf8.encode(currentText(manifestFileName(number))))
    await f.sync()
    await f.close()
    fs.rename(tmp, filePath(dir, CURRENT_FILE))
    await fs.syncDir(dir)
    return new ManifestWriter(number, log)
  }

  get size(): number {
    return this.log.size
  }

  /** Appends one edit and waits until it and its commit record are durable. */
  append(edit: VersionEdit): Promise<void> {
    const payload = encodeVersionEdit(edit)
    const done = this.tail.then(async () => {
      if (this.failure !== undefined) throw this.failure
      try {
        await appendCommitted(this.log, payload)
      } catch (err) {
        this.failure ??= err
        throw err
      }
    })
    this.tail = done.catch(() => undefined)
    return done
  }

  /** The first failed edit, if any. */
  get failed(): unknown {
    return this.failure
  }

  close(): Promise<void> {
    return this.log.close()
  }
}
