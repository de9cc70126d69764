import { v7 } from 'uuid';

/**
 * A UUID of version 7 (RFC 9562): the Unix time in milliseconds first, then a sequence, the rest
 * random; the ids one process makes sort in the order it made them (uuid's v7 counts up within a
 * millisecond and when the clock steps back). Ids that end up in unique indexes on the money path
 * (a hold's, a turn's, a gateway call's: they become the flows' idempotency keys `hold:<id>`,
 * `turn:<id>:<stage>`) are made this way so that new keys sort after the old ones and each insert
 * lands on the index's last pages, which stay cached, instead of on a random leaf of an index as
 * large as the ledger: on 10 M flows a random key read a page missing from shared_buffers and wrote
 * a full-page image into WAL for most inserts (docs/scaling.md, run 9). The time an id carries is
 * no secret: the rows it names show their creation time anyway.
 */
export function timeOrderedUuid(): string {
  return v7();
}
