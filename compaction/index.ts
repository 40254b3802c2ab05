// compaction: chooses compactions (picker) and runs them (job: merge, drop, write tables).
// Relies on base/ for files and keys, sstable/ to write tables, manifest/ for versions and tables.
// Knows nothing of the write path, memtables or how results are applied to the manifest.

export { type PickerOptions, type CompactionPlan, pickCompaction, planCompaction, levelScores, levelTargetBytes, keyRange } from './picker.js'
export { type CompactionJobOptions, type CompactionResult, runCompactionJob } from './compaction-job.js'
