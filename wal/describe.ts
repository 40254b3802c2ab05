// describeLog: a human-readable listing of a log file's bytes, for tests, docs and a dump tool.
// Never throws: damage is printed where it is found and the listing stops there.

import {
  FILE_HEADER_SIZE, type LogKind, decodeFileHeader, decodeRecord, isMarker, isZeroTail, payloadStart, recordClaim,
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
  let version: number
  try {
    const h = decodeFileHeader(data, '(log)', headerKind(data) ?? 'wal')
    salt = h.salt
    version = h.version
    lines.push(`0: header ${h.kind} v${h.version} salt=0x${salt.toString(16).padStart(8, '0')}`)
  } catch (e) {
    return `0: bad header: ${(e as Error).message}`
  }
  let offset = FILE_HEADER_SIZE
  while (offset < data.length) {
    const end = decodeRecord(data, offset, salt, version)
    if (end < 0) {
      const what = isZeroTail(data, offset) ? 'zero tail' : recordFailureDetail(end)
      lines.push(`${offset}: ${what} (${data.length - offset} bytes to end of file)`)
      break
    }
    const payload = data.subarray(payloadStart(data, offset), end)
    const shown = hex(payload.subarray(0, maxPayloadBytes)) + (payload.length > maxPayloadBytes ? ' …' : '')
    const claim = version === 1 ? '' : ` claims=${recordClaim(data, offset)}`
    if (isMarker(data, offset)) lines.push(`${offset}: durable marker${claim}`)
    else lines.push(`${offset}: record len=${payload.length}${claim} [${shown}]`)
    offset = end
  }
  lines.push(`${offset}: end`)
  return lines.join('\n')
}
