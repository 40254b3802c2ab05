// vlog: the value log — files of large values written once at write time, read through pointers.
// Relies on base/ for files, checksums and errors.
// Knows nothing of the LSM: which entries are live is decided by the engine and compaction.

export {
  type ValuePointer, type DecodedEntry, encodePointer, decodePointer, decodePointerInto, MAX_POINTER_LENGTH, VLOG_FORMAT_VERSION, VLOG_HEADER_SIZE,
  ENTRY_HEADER_SIZE, entrySize, checkFileHeader, decodeEntry, findValidEntry, ENTRY_END, ENTRY_TRUNCATED, ENTRY_BAD,
  VLOG_FORMAT_MARKERS, VLOG_FORMAT_WHOLE, MARKER_SIZE, claimPast, markerClaim, entryLengthAt,
} from './format.js'
export { WholeFileWriter, checkWholeFile } from './whole-file.js'
export { ValueLog, type ValueLogOptions, type ValueLogEntry, allZeroFrom, MALLOC_RAISE_AFTER, mallocThresholdsRaised } from './value-log.js'
