// compaction: chooses compactions (picker) and runs them (job: merge, drop, write tables), inline or
// in a worker thread (runner). Relies on base/ for files and keys, sstable/ to write tables,
// manifest/ for versions and tables, vlog/ to read value pointers it drops.
// Knows nothing of the write path, memtables or how results are applied to the manifest.

export { type PickerOptions, type CompactionPlan, pickCompaction, planCompaction, levelScores, levelTargetBytes, keyRange } from './picker.js'
export { type CompactionJobOptions, type CompactionResult, type Retention, runCompactionJob } from './compaction-job.js'
export { type CompactionTask, outputNumbersNeeded, taskInput, runCompactionTask } from './compaction-task.js'
export { type CompactionRunner, InlineCompactionRunner, WorkerCompactionRunner, workerEntry } from './compaction-runner.js'
