// sstable: writes and reads immutable sorted tables (blocks, index, bloom filter, properties, footer) and caches their blocks.
// Relies on base/ for files, checksums, key encoding and errors; no library (the bloom filter, bloom.ts, and LZ4, lz4.ts, are its own).
// Knows nothing of levels, the manifest, the value log or the write path.
// table-reader.ts opens a table and serves point reads; table-iter.ts and verify.ts work on the narrow
// BlockSource / VerifiableTable interfaces it satisfies, so nothing imports back into the reader.

export { BlockCache } from './block-cache.js'
export { describeTable } from './describe.js'
export { FORMAT_VERSION, type TableProperties } from './format.js'
export { DEFAULT_TABLE_WRITER_OPTIONS, resolveTableWriterOptions, type TableWriterOptions } from './options.js'
export { TableBuilder } from './table-builder.js'
export { type OpenedTable, TableReader } from './table-reader.js'
