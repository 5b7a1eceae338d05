/**
 * AES256 ticket decryptions per second, against baselines measured in the same run:
 *   - OpenSSL's raw AES-256-CBC over the same number of bytes (the floor no implementation beats),
 *   - our RFC 3962 decrypt alone (key derivation, CTS, HMAC-SHA1 check),
 *   - the whole decoder: Ticket DER → key ring → decrypt → EncTicketPart decoded into a tree.
 * vitest prints each as a ratio of the fastest.
 */
import { createDecipheriv, randomBytes } from 'node:crypto';
import { bench, describe } from 'vitest';
import { requireEnctype } from '../../main/krb/crypto';
import { createDecodeSession } from '../../main/krb/decode/session';
import { decodeDer, flagsFrom } from '../../main/krb/der/schema';
import { EncTicketPart, Ticket, TICKET_FLAG_NAMES } from '../../main/krb/messages';
import { KeyUsage } from '../../main/krb/usages';

const aes256 = requireEnctype(18);
const serviceKey = aes256.randomKey();
const now = new Date(Math.floor(Date.now() / 1000) * 1000);
const encTicketPart = EncTicketPart.encode({
  flags: flagsFrom(TICKET_FLAG_NAMES, ['forwardable', 'renewable', 'pre-authent']),
  key: { keytype: 18, keyvalue: randomBytes(32) },
  crealm: 'BENCH.TEST',
  cname: { nameType: 1, nameString: ['alice'] },
  transited: { trType: 1, contents: Buffer.alloc(0) },
  authtime: now,
  endtime: new Date(now.getTime() + 36_000_000),
  // A PAC-sized blob of authorization data, as MIT 1.20 tickets carry.
  authorizationData: [{ adType: 1, adData: Buffer.alloc(600, 7) }],
});
const cipher = aes256.encrypt(serviceKey, KeyUsage.TICKET_ENC_PART, encTicketPart);
const ticket = Ticket.encode({
  tktVno: 5,
  realm: 'BENCH.TEST',
  sname: { nameType: 1, nameString: ['mqtt', 'localhost'] },
  encPart: { etype: 18, kvno: 2, cipher },
});
const cbcKey = randomBytes(32);
const iv = Buffer.alloc(16);
const cbcInput = randomBytes(Math.ceil(cipher.length / 16) * 16);
const keytabEntries = [{ principal: { nameType: 1, components: ['mqtt', 'localhost'], realm: 'BENCH.TEST' }, timestamp: 0, kvno: 2, enctype: 18, key: serviceKey }];

describe(`AES256 ticket decryption (${ticket.length}-byte ticket)`, () => {
  bench('baseline: OpenSSL AES-256-CBC over the same bytes', () => {
    const decipher = createDecipheriv('aes-256-cbc', cbcKey, iv).setAutoPadding(false);
    decipher.update(cbcInput);
    decipher.final();
  });
  bench('RFC 3962 decrypt (derive Ke/Ki, AES-CTS, HMAC-SHA1-96 check)', () => {
    aes256.decrypt(serviceKey, KeyUsage.TICKET_ENC_PART, cipher);
  });
  bench('full decode: Ticket → keytab key → EncTicketPart tree', () => {
    const session = createDecodeSession([{ kind: 'keytab', label: 'bench', entries: keytabEntries }]);
    const { tree } = decodeDer(Ticket, ticket, 'Ticket', { extra: session });
    if (!tree.children?.[3]?.decrypted) throw new Error('the ticket did not decrypt');
  });
});
