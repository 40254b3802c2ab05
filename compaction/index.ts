// compaction: chooses compactions (picker) and runs them and flushes (job: merge, drop, write tables),
// inline or in a worker thread (runner). Relies on base/ for files and keys, sstable/ to write tables,
// manifest/ for versions and tables, vlog/ to read value pointers it drops, memtable/ to read a
// frozen memtable it flushes.
// Knows nothing of the write path, when memtables are frozen, or how results are applied to the manifest.

export { type PickerOptions, type CompactionPlan, pickCompaction, planCompaction, levelScores, levelTargets, baseLevel, manualOutputLevel, keyRange } from './picker.js'
export { type CompactionJobOptions, type CompactionResult, type Retention, runCompactionJob } from './compaction-job.js'
export { type CompactionTask, outputNumbersNeeded, taskInput, runCompactionTask } from './compaction-task.js'
export { type FlushTask, runFlushTask } from './flush-task.js'
export { type GrandparentTable, GrandparentLimiter } from './grandparents.js'
export { type CompactionRunner, InlineCompactionRunner, WorkerCompactionRunner, workerEntry } from './compaction-runner.js'
