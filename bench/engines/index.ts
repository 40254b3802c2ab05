// engines: one adapter per engine behind a common interface; the bench's child process opens one.
// Relies on engine/ (Sett) and on the peer cache (harness/peers.ts) for the peers, loaded only when asked for, so a
// missing peer never stops Sett's own runs.

import type { EngineAdapter, EngineName, EngineOpenOptions } from './adapter.js'

export { ENGINES, isEngine, type EngineAdapter, type EngineCursor, type EngineName, type EngineOpenOptions, type EngineStats } from './adapter.js'

export async function openEngine(name: EngineName, options: EngineOpenOptions): Promise<EngineAdapter> {
  switch (name) {
    case 'sett':
      return (await import('./sett.js')).openSett(options)
    case 'classic-level':
      return (await import('./classic-level.js')).openClassicLevel(options)
    case 'lmdb':
      return (await import('./lmdb.js')).openLmdb(options)
  }
}
