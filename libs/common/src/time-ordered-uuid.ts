import { randomBytes, randomInt } from 'node:crypto';

let last = { ms: 0, seq: 0 };

/**
 * A UUID of version 7 (RFC 9562): the first 48 bits are the Unix time in milliseconds, then a
 * 12-bit sequence, the rest random. Ids that end up in unique indexes on the money path (a hold's,
 * a turn's, a gateway call's: they become the flows' idempotency keys `hold:<id>`,
 * `turn:<id>:<stage>`) are made this way so that new keys sort after the old ones and each insert
 * lands on the index's last pages, which stay cached, instead of on a random leaf of an index as
 * large as the ledger: on 10 M flows a random key read a page missing from shared_buffers and wrote
 * a full-page image into WAL for most inserts (docs/scaling.md, run 9). The time an id carries is
 * no secret: the rows it names show their creation time anyway.
 */
export function timeOrderedUuid(now: number = Date.now()): string {
  // Within one millisecond, or when the clock steps back, the sequence counts up (RFC 9562's
  // method 1), so the ids one process makes sort in the order it made them; it starts in its lower
  // half to leave room to count.
  if (now > last.ms) last = { ms: now, seq: randomInt(0x800) };
  else if (last.seq < 0xfff) last = { ms: last.ms, seq: last.seq + 1 };
  else last = { ms: last.ms + 1, seq: 0 };
  const bytes = randomBytes(16);
  bytes.writeUIntBE(last.ms, 0, 6);
  bytes.writeUInt16BE(0x7000 | last.seq, 6);
  bytes[8] = 0x80 | (bytes[8] & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
