// Human-readable sizes, ratios and keys for the commands' output.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB']

/** 1536 → "1.5 KiB"; bytes below 1 KiB as a whole number. */
export function formatBytes(n: number): string {
  let v = n
  let u = 0
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024
    u++
  }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${UNITS[u]}`
}

export function formatPercent(ratio: number): string {
  return `${(ratio * 100).toFixed(1)}%`
}

const MAX_KEY_CHARS = 32

/** A key as quoted text when it is printable ASCII, else as hex; long keys are cut with "…". */
export function formatKey(key: Uint8Array): string {
  const printable = key.every((b) => b >= 0x20 && b < 0x7f)
  if (printable) {
    const text = Buffer.from(key).toString('latin1')
    return JSON.stringify(text.length > MAX_KEY_CHARS ? `${text.slice(0, MAX_KEY_CHARS)}…` : text)
  }
  const hex = Buffer.from(key.subarray(0, MAX_KEY_CHARS / 2)).toString('hex')
  return `0x${hex}${key.length > MAX_KEY_CHARS / 2 ? '…' : ''}`
}

/** Pads `cells` into aligned columns (left-aligned; numbers as given). */
export function columns(rows: string[][], indent = '  '): string {
  const widths: number[] = []
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)))
  return rows.map((row) => indent + row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ')).join('\n') + '\n'
}
