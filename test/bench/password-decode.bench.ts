/**
 * Decoding a kinit with only the user's password (the plain AS exchange of the world fixture), against
 * baselines measured in the same run:
 *   - the same decode with alice's keys from a keytab (no string-to-key at all),
 *   - the password decode as the key ring does it: only the enctypes the messages use are derived,
 *   - every supported enctype derived up front, as the ring did before (aes-sha2 and Camellia cost
 *     32768 PBKDF2 iterations each, twice).
 */
import { bench, describe } from 'vitest';
import { decodeSequence } from '../../main/inspect/decode';
import { getEnctype, SUPPORTED_ENCTYPES } from '../../main/krb/crypto';
import { world, worldKeytab } from '../helpers/world';

const stream = Buffer.from(world.kdcStreamPlain, 'hex');
const messages: Buffer[] = [];
for (let at = 0; at < stream.length; at += 4 + stream.readUInt32BE(at)) messages.push(stream.subarray(at + 4, at + 4 + stream.readUInt32BE(at)));
const alice = worldKeytab.filter((e) => e.principal.components.join('/') === 'alice');
const password = { kind: 'password' as const, principal: 'alice@WORLD.TEST', password: world.alicePassword };

function opened(reports: ReturnType<typeof decodeSequence>): void {
  if (!reports.some((r) => r.learnedKeys.some((k) => k.startsWith('session key')))) throw new Error('the AS-REP did not open');
}

describe(`decoding a plain kinit (${messages.length} messages) with the user's password`, () => {
  bench('keytab keys, no string-to-key (baseline)', () => {
    opened(decodeSequence(messages, [{ kind: 'keytab', label: 'alice', entries: alice }]));
  });
  bench('password: keys derived for the enctypes the messages use', () => {
    opened(decodeSequence(messages, [password]));
  });
  bench('password: every supported enctype derived up front', () => {
    for (const id of SUPPORTED_ENCTYPES) getEnctype(id)?.stringToKey(world.alicePassword, 'WORLD.TESTalice');
    opened(decodeSequence(messages, [password]));
  });
});
