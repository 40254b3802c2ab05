// level: SettLevel, the engine behind abstract-level's interface (the package's `sett/level` entry).
// Relies on engine/ (through its index.ts) and the abstract-level package.
// Knows nothing of the engine's insides; never writes keys without its tag byte (store-key.ts).

export { SettLevel, type SettLevelOptions } from './sett-level.js'
export { SettIterator } from './sett-iterator.js'
export { SettSnapshot } from './sett-snapshot.js'
export { LevelError, type LevelCode } from './errors.js'
export { MAX_LEVEL_KEY_SIZE } from './store-key.js'
