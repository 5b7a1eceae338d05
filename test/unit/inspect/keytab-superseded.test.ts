/**
 * The "old kvno" flag of the keytab service: per principal (name and realm exactly, as MIT
 * compares), every key below that principal's newest kvno, whatever the order of the entries.
 */
import { describe, expect, it } from 'vitest';
import type { KeytabEntrySummary } from '../../../main/api/inspect';
import { flagSupersededKvnos } from '../../../main/inspect/service';

const entry = (principal: string, kvno: number, enctype = 'aes256-cts-hmac-sha1-96'): KeytabEntrySummary => ({ principal, kvno, timestamp: '2026-01-01T00:00:00Z', enctype, enctypeId: 18 });

describe('flagSupersededKvnos', () => {
  it('flags older kvnos of the same principal only, with the words klist users expect', () => {
    const flagged = flagSupersededKvnos([
      entry('mqtt/b@R.TEST', 3),
      entry('mqtt/b@R.TEST', 2),
      entry('mqtt/b@R.TEST', 2, 'aes128-cts-hmac-sha1-96'),
      entry('mqtt/b@OTHER.TEST', 2), // another realm: its own newest
      entry('MQTT/b@R.TEST', 1), // another name (case counts)
      entry('HTTP/w@R.TEST', 0),
    ]);
    expect(flagged.map((e) => e.superseded?.newestKvno ?? null)).toEqual([null, 3, 3, null, null, null]);
    expect(flagged[1]!.superseded!.note).toBe('old kvno 2 < 3: kept for tickets issued before the key change');
  });

  it('flags nothing in a keytab with one kvno per principal', () => {
    expect(flagSupersededKvnos([entry('a@R', 5), entry('b@R', 1)]).some((e) => e.superseded)).toBe(false);
  });
});
