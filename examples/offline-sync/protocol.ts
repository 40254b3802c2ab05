// The wire between the device and the receiver: one JSON object per line over a TCP socket.
// device → receiver: { changes: WireChange[] }, a chunk of the change feed in order;
// receiver → device: { ack: resumeFrom }, once the chunk is in the receiver's database.
// Knows nothing of sockets or databases.

import type { Change } from '../../engine/index.js'

export interface WireChange {
  key: string
  value?: string
  deleted: boolean
  droppedPrefix?: boolean
  version: number
  resumeFrom: number
}

export function toWire(c: Change): WireChange {
  return {
    key: c.key.toString('base64'), value: c.value?.toString('base64'), deleted: c.deleted,
    droppedPrefix: c.droppedPrefix, version: c.version, resumeFrom: c.resumeFrom,
  }
}

/** Splits a byte stream into lines and hands each parsed object to `onMessage`. */
export function lineReader(onMessage: (msg: unknown) => void): (chunk: Buffer) => void {
  let buffered = ''
  return (chunk) => {
    buffered += chunk.toString('utf8')
    let nl: number
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl)
      buffered = buffered.slice(nl + 1)
      if (line.length > 0) onMessage(JSON.parse(line))
    }
  }
}
