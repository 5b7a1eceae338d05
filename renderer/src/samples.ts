/**
 * Sample input for the Decoder's "Try a sample" — real bytes, never invented.
 *
 * How it was produced (a throwaway MIT lab realm, since destroyed; `main/lab/realm.ts`):
 *   1. MitRealm.create({ dir }) with realm BENCH.TEST; addprinc alice (password), addprinc -randkey
 *      mqtt/localhost; ktadd -e aes256-cts-hmac-sha1-96,aes128-cts-hmac-sha1-96 mqtt/localhost (kvno 2);
 *   2. start the KDC; kinit alice;
 *   3. in a child process with the realm's environment (KRB5_CONFIG, KRB5CCNAME):
 *      require('kerberos').initializeClient('mqtt@localhost', {}).then((c) => c.step(''))
 *      — MIT krb5 1.20.1's GSS initial context token (RFC 2743 framing around an AP-REQ) — then
 *      converted from base64 to hex;
 *   4. `klist -kteK` on the service keytab for the aes256 key below.
 * The key belonged only to that lab realm: it opens this sample's ticket and nothing else.
 */
export interface DecoderSample {
  /** What the sample is, shown under the input. */
  description: string;
  /** The pasted text (hex). */
  text: string;
  /** Raw keys (ETYPE:HEX) the sample adds to the keys panel so its encrypted parts open. */
  keys: string[];
}

export const samples: DecoderSample[] = [
  {
    description:
      'a GSS-API initial context token (AP-REQ) that MIT krb5 made for alice@BENCH.TEST to mqtt/localhost, with the lab service key (kvno 2, aes256) added under Keys so the ticket and authenticator decrypt.',
    text:
    '608202c706092a864886f71201020201006e8202b6308202b2a003020105a10302010ea20703050020000000a38201cb' +
    '618201c7308201c3a003020105a10c1b0a42454e43482e54455354a21c301aa003020101a11330111b046d7174741b09' +
    '6c6f63616c686f7374a382018e3082018aa003020112a103020102a282017c048201784c16b8da10a8c8b812018b924d' +
    '166124a6597eeea501feca533618811074a40181d718b6a11789c441370e77de3931f913ff0e845a4f53d37cd3ac840b' +
    'b417ae162103cbfbd982d0476944dc676fe4e863a5c4bb8eca4987419bc3eb608fa9d4fc34fe7b0b83a1881d7dad99b4' +
    '8940a9f59b9b11566e651f7b46a2f2992df80f22244f56707654410a83f5842391ffa19754a1f0a9806699f718408205' +
    '5c9d80165aee15254de169932567b2faf2df8dad37c64a63d6eaf2d3d266725c43156f83e5942b34cb075e81c5256226' +
    '33ee8b6cb10e55cdb21c545375c1c81537eda299daf6fca8e5e80343d9622f6c0d95f930faf498ec9c1a85938fea8318' +
    '598cd5bd251c6a370d4672915db389b95d10c6c2b722a265a455c27179dd706b411472494d454da758dd10fca0ae7450' +
    'f99fd6ce5b6c809f1012dd7fb3fbb95fe988786b05796f50faedf158efe6f688ece869287b1bd0e3f1cead00ccd5b276' +
    '7faf6e474e956d55d132b384ff74a06b72cfb6f1a64f93aabfca8fa481cd3081caa003020112a281c20481bf8da0bf74' +
    '63f9057da59de586b7c2b334056e4fefd9f6e714115383fef999b83dc81a4d774ec85c58b3ce8b94f448e708329e3ae4' +
    '3a513345ae8ae9ccd2ae7de1cb83657dacf96adfdc771c3c67d61583a256b18ee1ee0f570e38ef3466feaa6004fd09fc' +
    '5ae335755175ec366273b5dec60b2c86f7ecc28f13a9e2edf4ab2f514e256ea9d6509eb71e949ec2d3336bb072d9d389' +
    '6268fd86e014b7073fb5335ab34cc8752d79089ee4ec1e34261c9101371f10411a467066e09af86343226a',
    keys: ['aes256-cts-hmac-sha1-96:07ec10ababb06d62f122df9c636d89f5f37e758055780d2a2f1ac1ab07d22e80'],
  },
];
