// manifest: the live set of tables per level (versions), their edits, and the MANIFEST/CURRENT files.
// Relies on base/ for files and errors, wal/ for record framing, sstable/ for the reader type.
// Knows nothing of memtables, the write path or how compactions are chosen.

export { type TableMeta, type VersionEdit, emptyEdit, encodeVersionEdit, decodeVersionEdit } from './version-edit.js'
export { FileMetadata, Version, VersionSet, NUM_LEVELS } from './version.js'
export { ManifestWriter, readCurrent, recoverManifest } from './manifest-store.js'
export { LevelIterator } from './level-iterator.js'
