// wal: the record log under the write-ahead log and the manifest: framing, checksums, torn tails.
// Relies on base/ for files, checksums, errors and assertions.
// Knows nothing of what payloads mean (write batches, version edits), of file names or of the engine.

export { type LogKind, LOG_FORMAT_VERSION, FILE_HEADER_SIZE, RECORD_HEADER_SIZE, MAX_PAYLOAD_LENGTH, recordSize } from './format.js'
export { LogWriter, WAL_PREALLOCATE, type LogWriterOptions } from './writer.js'
export { claimedSynced, firstRecordIsWhole, readLog, type LogRecord, type ReadLogResult, type ReadLogOptions } from './reader.js'
export { describeLog } from './describe.js'
