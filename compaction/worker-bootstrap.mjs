// Starts the compaction worker from TypeScript sources (vitest, tsx): Node 20 cannot load a .ts
// file as a worker, even with --import tsx, so this plain module registers tsx's loader in the
// worker thread and then imports the real entry. The built package starts compaction-worker.js.
import { register } from 'tsx/esm/api'

register()
await import('./compaction-worker.ts')
