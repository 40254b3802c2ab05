// Mapped buffers: zeroed bytes whose pages V8 maps and unmaps itself (a WebAssembly.Memory's
// buffer), for large buffers that live and die often, so that freeing one moves none of glibc's
// malloc thresholds. Must never be used for a buffer that must be transferred or detached (a
// memory's buffer cannot be).
//
// Why: ArrayBuffers and SharedArrayBuffers come from malloc, which serves a request of 128 KiB or
// more with a mapping of its own, and when such a chunk (up to 32 MiB) is freed, glibc raises its
// mmap threshold to the chunk's size and its trim threshold to twice that, for the rest of the
// process. One 17 MiB memtable arena freed, and every later malloc under 17 MiB came from heaps
// trimmed only once 34 MiB at their top were free: ~40 MiB more RSS in every read and YCSB
// workload of a 1M × 100 B bench (engine/memory-budget.ts, GLIBC_THRESHOLDS). A memory's pages
// never pass through malloc: V8 reserves address space for it (with guard regions: no RSS) and
// unmaps it when the buffer is collected.

/** A WebAssembly page: a mapped buffer's size is a multiple of it. */
export const MAPPED_PAGE = 64 * 1024

/** glibc's default mmap threshold: malloc maps a buffer this large on its own (and a free moves the threshold). */
export const MALLOC_MMAP_THRESHOLD = 128 * 1024

/**
 * At least `size` zeroed bytes (rounded up to a whole MAPPED_PAGE), mapped by V8, or undefined
 * when V8 will not map them (more than 4 GiB, address space for guard regions used up, a limit
 * such as ulimit -v): the caller then takes malloc's.
 */
export function mappedBuffer(size: number, shared: boolean): ArrayBuffer | SharedArrayBuffer | undefined {
  const pages = Math.max(1, Math.ceil(size / MAPPED_PAGE))
  if (pages > 65536) return undefined
  try {
    return new WebAssembly.Memory({ initial: pages, maximum: pages, shared }).buffer
  } catch {
    return undefined
  }
}
