// describeLog: a human-readable listing of a log file's bytes, for tests, docs and a dump tool.
// Never throws: damage is printed where it is found and the listing stops there.

import {
  FILE_HEADER_SIZE, type LogKind, RECORD_HEADER_SIZE, decodeFileHeader, decodeRecord, isZeroTail,
  recordFailureDetail,
} from './format.js'

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ')
}

function headerKind(data: Uint8Array): LogKind | undefined {
  return data[6] === 1 ? 'wal' : data[6] === 2 ? 'manifest' : undefined
}

/** One line for the file header, then one per record: offset, length, first bytes of the payload. */
export function describeLog(data: Uint8Array, maxPayloadBytes = 16): string {
  const lines: string[] = []
  if (data.length < FILE_HEADER_SIZE) return `${data.length} bytes: file header cut short`
  let salt: number
  try {
    const h = decodeFileHeader(data, '(log)', headerKind(data) ?? 'wal')
    salt = h.salt
    lines.push(`0: header ${h.kind} v${h.version} salt=0x${salt.toString(16).padStart(8, '0')}`)
  } catch (e) {
    return `0: bad header: ${(e as Error).message}`
  }
  let offset = FILE_HEADER_SIZE
  while (offset < data.length) {
    const end = decodeRecord(data, offset, salt)
    if (end < 0) {
      const what = isZeroTail(data, offset) ? 'zero tail' : recordFailureDetail(end)
      lines.push(`${offset}: ${what} (${data.length - offset} bytes to end of file)`)
      break
    }
    const payload = data.subarray(offset + RECORD_HEADER_SIZE, end)
    const shown = hex(payload.subarray(0, maxPayloadBytes)) + (payload.length > maxPayloadBytes ? ' …' : '')
    lines.push(`${offset}: record len=${payload.length} [${shown}]`)
    offset = end
  }
  lines.push(`${offset}: end`)
  return lines.join('\n')
}
