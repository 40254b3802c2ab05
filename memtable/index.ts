// memtable: owns the in-memory write buffer, a skiplist of internal entries in one growable arena.
// Relies on base/ for internal-key order, the iterator interface and assertions.
// Knows nothing of the WAL, tables, the value log or when to flush (the engine decides from byteSize).

export { Memtable } from './memtable.js'
export type { FrozenMemtable, MemtableOptions } from './memtable.js'
export { Arena } from './arena.js'
export { EntryColumns } from './entry-columns.js'
