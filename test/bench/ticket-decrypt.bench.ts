/**
 * AES256 ticket decryptions per second, against baselines measured in the same run:
 *   - OpenSSL's raw AES-256-CBC over the same number of bytes (the floor no implementation beats),
 *   - our RFC 3962 decrypt alone (key derivation, CTS, HMAC-SHA1 check),
 *   - the whole decoder: Ticket DER → key ring → decrypt → EncTicketPart decoded into a tree.
 * vitest prints each as a ratio of the fastest. Afterwards the three are measured again in
 * interleaved batches (the same drift of the machine's other load for all) and recorded as the
 * figures ticket_decrypt_vs_openssl_aes (RFC 3962 decrypt ÷ OpenSSL CBC) and ticket_decrypts_per_s.
 */
import { createDecipheriv, randomBytes } from 'node:crypto';
import { afterAll, bench, describe } from 'vitest';
import { recordFigure } from './figures';
import { interleavedTimesSync, median, medianSpeedRatio, type RoundTimes } from './interleave';
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

function opensslCbc(): void {
  const decipher = createDecipheriv('aes-256-cbc', cbcKey, iv).setAutoPadding(false);
  decipher.update(cbcInput);
  decipher.final();
}

function rfc3962Decrypt(): void {
  aes256.decrypt(serviceKey, KeyUsage.TICKET_ENC_PART, cipher);
}

function fullDecode(): void {
  const session = createDecodeSession([{ kind: 'keytab', label: 'bench', entries: keytabEntries }]);
  const { tree } = decodeDer(Ticket, ticket, 'Ticket', { extra: session });
  if (!tree.children?.[3]?.decrypted) throw new Error('the ticket did not decrypt');
}

afterAll(() => {
  const batch = 300;
  const [cbc, decrypt, decode] = interleavedTimesSync(
    [
      ['OpenSSL AES-256-CBC', opensslCbc],
      ['RFC 3962 decrypt', rfc3962Decrypt],
      ['full decode', fullDecode],
    ],
    22,
    batch,
  ) as [RoundTimes, RoundTimes, RoundTimes];
  const perSecond = (ms: readonly number[]): number => (batch / median(ms)) * 1000;
  console.log(
    `\nInterleaved (median batch; wall / CPU): OpenSSL CBC ${perSecond(cbc.wall).toFixed(0)} / ${perSecond(cbc.cpu).toFixed(0)}/s, ` +
      `RFC 3962 decrypt ${perSecond(decrypt.wall).toFixed(0)} / ${perSecond(decrypt.cpu).toFixed(0)}/s, ` +
      `full decode ${perSecond(decode.wall).toFixed(0)} / ${perSecond(decode.cpu).toFixed(0)}/s; ` +
      `decrypt ÷ CBC by wall time ${medianSpeedRatio(decrypt.wall, cbc.wall).toFixed(3)}`,
  );
  recordFigure({
    key: 'ticket_decrypt_vs_openssl_aes',
    value: medianSpeedRatio(decrypt.cpu, cbc.cpu),
    unit: '×',
    detail: `RFC 3962 aes256 decrypt of a ${cipher.length}-byte EncTicketPart ÷ OpenSSL AES-256-CBC (new context) over the same bytes; median of 20 interleaved rounds, CPU time`,
  });
  recordFigure({
    key: 'ticket_decrypts_per_s',
    value: Math.round(perSecond(decode.cpu)),
    unit: '/s',
    detail: `full decode of a ${ticket.length}-byte Ticket: DER → keytab key → decrypt → EncTicketPart tree; median of 20 interleaved batches, per CPU second`,
  });
});

describe(`AES256 ticket decryption (${ticket.length}-byte ticket)`, () => {
  bench('baseline: OpenSSL AES-256-CBC over the same bytes', opensslCbc);
  bench('RFC 3962 decrypt (derive Ke/Ki, AES-CTS, HMAC-SHA1-96 check)', rfc3962Decrypt);
  bench('full decode: Ticket → keytab key → EncTicketPart tree', fullDecode);
});
