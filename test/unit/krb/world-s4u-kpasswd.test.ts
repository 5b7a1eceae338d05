/**
 * S4U2self padata, KRB-SAFE, KRB-PRIV and kpasswd on what MIT's own tools made against the world
 * realm (test/fixtures/world/make.sh: kvno -U, krb5_mk_safe/krb5_mk_priv, kpasswd against kadmind,
 * krb5_set_password). Before these decoders, PA-FOR-USER and PA-S4U-X509-USER were opaque bytes,
 * KRB-SAFE and KRB-PRIV were "not a Kerberos message tag" and kpasswd framing was not recognised.
 */
import { describe, expect, it } from 'vitest';
import { decodeBytes } from '../../../main/inspect/decode';
import { keyedChecksum } from '../../../main/krb/crypto';
import { derExplicit, derInteger, derSequence } from '../../../main/krb/der/writer';
import { decodeAuto } from '../../../main/krb/decode/auto';
import { KrbDecodeError } from '../../../main/krb/errors';
import { decodeKpasswd, isKpasswdMessage, readResult } from '../../../main/krb/kpasswd';
import type { KeySpec } from '../../../main/krb/decode/session';
import type { TreeNode } from '../../../main/krb/tree';
import { world, worldKeytab } from '../../helpers/world';

const keytab: KeySpec = { kind: 'keytab', label: 'world.keytab', entries: worldKeytab };
const mitKey: KeySpec = { kind: 'raw', enctype: 18, key: Buffer.from(world.mitSafe.key, 'hex') };

/** Every node, depth first; decrypted parts too unless `outer` (their offsets are in their plaintext). */
function nodes(tree: TreeNode, out: TreeNode[] = [], outer = false): TreeNode[] {
  out.push(tree);
  for (const child of tree.children ?? []) nodes(child, out, outer);
  if (tree.decrypted && !outer) nodes(tree.decrypted.tree, out, outer);
  return out;
}
const named = (tree: TreeNode, name: string) => nodes(tree).filter((n) => n.name === name);
const verdictUnder = (node: TreeNode | undefined) => node?.children?.find((c) => c.name === 'verification');
const errors = (tree: TreeNode) => nodes(tree).filter((n) => n.error);

describe('S4U2self (MS-SFU): PA-FOR-USER and PA-S4U-X509-USER from kvno -U', () => {
  const stream = Buffer.from(world.kdcStreamS4u, 'hex');

  it('decodes both padata, inside the FAST request and outside it, and verifies every checksum with the key that made it', () => {
    const { tree } = decodeBytes(stream, [keytab]);
    const forUser = named(tree, 'PA-FOR-USER').filter((n) => n.type === 'PA-FOR-USER');
    const x509 = named(tree, 'PA-S4U-X509-USER').filter((n) => n.type === 'PA-S4U-X509-USER');
    // MIT sends each twice in the request (in the armored KrbFastReq and in the outer padata); the reply carries PA-S4U-X509-USER.
    expect(forUser.map((n) => n.value)).toEqual(['on behalf of alice@WORLD.TEST', 'on behalf of alice@WORLD.TEST']);
    expect(x509).toHaveLength(3);
    for (const node of forUser) {
      const verdict = verdictUnder(node.children?.find((c) => c.name === 'cksum'));
      expect(verdict?.value).toBe('verified with session key of the ticket for krbtgt/WORLD.TEST@WORLD.TEST (client HTTP/localhost@WORLD.TEST)');
      expect(verdict?.type).toMatch(/^checksum check, key usage 17 /);
    }
    const x509Verdicts = x509.map((n) => verdictUnder(n.children?.find((c) => c.name === 'checksum')));
    expect(x509Verdicts.map((v) => [v?.type.match(/key usage (\d+)/)?.[1], v?.value])).toEqual([
      ['26', 'verified with initiator subkey from the Authenticator of HTTP/localhost@WORLD.TEST'],
      ['26', 'verified with initiator subkey from the Authenticator of HTTP/localhost@WORLD.TEST'],
      ['27', 'verified with initiator subkey from the Authenticator of HTTP/localhost@WORLD.TEST'],
    ]);
    const userId = x509[0]!.children!.find((c) => c.name === 'user-id')!;
    expect(userId.value).toBe('alice@WORLD.TEST');
    expect(userId.children?.find((c) => c.name === 'options')?.value).toEqual(expect.arrayContaining(['use-reply-key-usage']));
  });

  it('says which key a checksum needs when it has none, and that a changed one does not verify', () => {
    const withoutKeys = decodeBytes(stream, []).tree;
    const forUser = named(withoutKeys, 'PA-FOR-USER').find((n) => n.type === 'PA-FOR-USER')!;
    expect(verdictUnder(forUser.children?.find((c) => c.name === 'cksum'))?.value).toMatch(/^not verified: no .* key to try — this checksum needs the session key of the service's TGT/);
    // Change the outer PA-FOR-USER's name (alice → alicf): its checksum no longer fits.
    const changed = Buffer.from(stream);
    const outer = nodes(decodeBytes(stream, [keytab]).tree, [], true).find((n) => n.name === 'userName')!;
    const at = changed.indexOf(Buffer.from('alice'), outer.offset);
    expect(at).toBeLessThan(outer.offset + outer.length);
    changed[at + 4] = 'f'.charCodeAt(0);
    const verdicts = named(decodeBytes(changed, [keytab]).tree, 'PA-FOR-USER')
      .filter((n) => n.type === 'PA-FOR-USER')
      .map((n) => verdictUnder(n.children?.find((c) => c.name === 'cksum')));
    expect(verdicts.some((v) => /^does not verify with any of the \d+ hmac-md5-arcfour key\(s\) tried: .*, or PA-FOR-USER was changed$/.test(v?.error ?? ''))).toBe(true);
  });
});

describe('KRB-SAFE and KRB-PRIV from krb5_mk_safe and krb5_mk_priv', () => {
  it('verifies MIT’s KRB-SAFE checksum, which covers the whole message with an empty checksum', () => {
    const { kind, tree } = decodeBytes(Buffer.from(world.mitSafe.safe, 'hex'), [mitKey]);
    expect(kind).toBe('KRB-SAFE');
    expect(named(tree, 'user-data')[0]?.value).toBe(Buffer.from('hello from krb5_mk_safe').toString('hex'));
    expect(named(tree, 's-address')[0]?.value).toBe('127.0.0.1');
    expect(verdictUnder(named(tree, 'cksum')[0])?.value).toBe(
      'verified with raw aes256-cts-hmac-sha1-96 key (over the whole KRB-SAFE with an empty checksum, as MIT computes it)',
    );
  });

  it('verifies a KRB-SAFE whose checksum covers safe-body alone (RFC 4120), and refuses the wrong key', () => {
    const safe = decodeAuto(Buffer.from(world.mitSafe.safe, 'hex'));
    const body = named(safe.tree, 'safe-body')[0]!;
    const bodyDer = Buffer.from(world.mitSafe.safe, 'hex').subarray(body.offset + 2, body.offset + body.length);
    const checksum = keyedChecksum(16, Buffer.from(world.mitSafe.key, 'hex'), 15, bodyDer);
    const cksum = derSequence([derExplicit('context', 0, derInteger(16)), derExplicit('context', 1, Buffer.concat([Buffer.of(0x04, checksum.length), checksum]))]);
    const rfc4120 = derExplicit(
      'application',
      20,
      derSequence([derExplicit('context', 0, derInteger(5)), derExplicit('context', 1, derInteger(20)), derExplicit('context', 2, bodyDer), derExplicit('context', 3, cksum)]),
    );
    expect(verdictUnder(named(decodeBytes(rfc4120, [mitKey]).tree, 'cksum')[0])?.value).toBe('verified with raw aes256-cts-hmac-sha1-96 key');
    const wrongKey: KeySpec = { kind: 'raw', enctype: 18, key: Buffer.alloc(32, 7) };
    expect(verdictUnder(named(decodeBytes(rfc4120, [wrongKey]).tree, 'cksum')[0])?.error).toMatch(/^does not verify with any of the 1 hmac-sha1-96-aes256 key\(s\) tried/);
  });

  it('opens KRB-PRIV (key usage 13) and shows EncKrbPrivPart', () => {
    const { kind, tree } = decodeBytes(Buffer.from(world.mitSafe.priv, 'hex'), [mitKey]);
    expect(kind).toBe('KRB-PRIV');
    const encPart = named(tree, 'enc-part')[0]!;
    expect(encPart.decrypted?.keyUsage).toBe('13 (KRB-PRIV enc-part)');
    expect(encPart.decrypted?.tree.type).toBe('EncKrbPrivPart');
    expect(named(encPart.decrypted!.tree, 'user-data')[0]?.value).toBe(Buffer.from('hello from krb5_mk_safe').toString('hex'));
    expect(named(encPart.decrypted!.tree, 'seq-number')[0]?.value).toBeTypeOf('number');
  });
});

describe('kpasswd (RFC 3244) from kpasswd and krb5_set_password against kadmind', () => {
  const request = (tree: TreeNode) => named(tree, 'kpasswd request')[0]!;
  const reply = (tree: TreeNode) => named(tree, 'kpasswd reply')[0]!;

  it('decodes a change-password exchange over TCP with the keytab: the new password hidden, the result shown', () => {
    const report = decodeBytes(Buffer.from(world.kpasswdStream, 'hex'), [keytab]);
    expect(report.kind).toBe('Kerberos over TCP: AS-REQ, KRB-ERROR, AS-REQ, AS-REP, kpasswd request (AP-REQ + KRB-PRIV), kpasswd reply (AP-REP + KRB-PRIV)');
    expect(errors(report.tree)).toEqual([]);
    const req = request(report.tree);
    expect(named(req, 'protocol version')[0]?.value).toBe('0x0001 (change password (RFC 3244))');
    const part = named(req, 'enc-part').find((n) => n.decrypted?.tree.type === 'EncKrbPrivPart')!.decrypted!;
    const userData = named(part.tree, 'user-data')[0]!;
    expect(userData).toMatchObject({ type: 'OCTET STRING (new password)', value: `<${world.aliceNewPassword.length} bytes hidden: the new password>` });
    // The plaintext's hex view has zeros where the password is.
    const plain = Buffer.from(part.plaintext!, 'hex');
    expect(plain.includes(Buffer.from(world.aliceNewPassword))).toBe(false);
    expect(part.masked).toContainEqual([userData.offset + userData.length - world.aliceNewPassword.length, world.aliceNewPassword.length]);
    expect(reply(report.tree).value).toBe('change password (RFC 3244): AP-REP + KRB-PRIV — KRB5_KPASSWD_SUCCESS');
    expect(named(reply(report.tree), 'result code')[0]?.value).toBe('0 (KRB5_KPASSWD_SUCCESS)');
  });

  it('shows the new password when secrets are revealed', () => {
    const report = decodeBytes(Buffer.from(world.kpasswdStream, 'hex'), [keytab], { revealSecrets: true });
    const userData = named(request(report.tree), 'user-data').find((n) => n.type === 'OCTET STRING (new password)');
    expect(userData?.value).toBe(world.aliceNewPassword);
  });

  it('decodes a set-password request (0xFF80): ChangePasswdData with its target, the password hidden', () => {
    const keys: KeySpec[] = [keytab, { kind: 'password', principal: 'alice@WORLD.TEST', password: world.aliceNewPassword }];
    const hidden = decodeBytes(Buffer.from(world.setPasswordStream, 'hex'), keys);
    expect(errors(hidden.tree)).toEqual([]);
    const req = request(hidden.tree);
    expect(named(req, 'protocol version')[0]?.value).toBe('0xff80 (set password (RFC 3244 / MS-KILE))');
    expect(named(req, 'user-data')[0]?.value).toBe('ChangePasswdData, for alice@WORLD.TEST (new password hidden)');
    expect(named(req, 'newpasswd')[0]?.value).toBe(`<${world.aliceSetPassword.length} bytes hidden: the new password>`);
    const part = named(req, 'enc-part').find((n) => n.decrypted?.tree.type === 'EncKrbPrivPart')!.decrypted!;
    expect(Buffer.from(part.plaintext!, 'hex').includes(Buffer.from(world.aliceSetPassword))).toBe(false);
    const shown = decodeBytes(Buffer.from(world.setPasswordStream, 'hex'), keys, { revealSecrets: true });
    expect(named(request(shown.tree), 'newpasswd')[0]?.value).toBe(world.aliceSetPassword);
    expect(named(reply(hidden.tree), 'result code')[0]?.value).toBe('0 (KRB5_KPASSWD_SUCCESS)');
  });

  it('decodes the framing without keys, the KRB-PRIV left closed', () => {
    const report = decodeBytes(Buffer.from(world.kpasswdStream, 'hex'), []);
    expect(report.kind).toMatch(/kpasswd request \(AP-REQ \+ KRB-PRIV\), kpasswd reply \(AP-REP \+ KRB-PRIV\)$/);
    expect(named(report.tree, 'user-data')).toEqual([]);
  });
});

describe('kpasswd framing and results', () => {
  const message = (version: number, ap: Buffer, rest: Buffer) => {
    const header = Buffer.alloc(6);
    header.writeUInt16BE(6 + ap.length + rest.length, 0);
    header.writeUInt16BE(version, 2);
    header.writeUInt16BE(ap.length, 4);
    return Buffer.concat([header, ap, rest]);
  };
  const stream = Buffer.from(world.kpasswdStream, 'hex');
  const records = decodeAuto(stream).tree.children!;
  const requestBytes = stream.subarray(records[4]!.offset + 4, records[4]!.offset + records[4]!.length);

  it('recognises a kpasswd message only when its own length, version and contents agree', () => {
    expect(isKpasswdMessage(requestBytes)).toBe(true);
    const wrongVersion = Buffer.from(requestBytes);
    wrongVersion.writeUInt16BE(2, 2);
    expect(isKpasswdMessage(wrongVersion)).toBe(false);
    expect(isKpasswdMessage(requestBytes.subarray(0, requestBytes.length - 1))).toBe(false);
    expect(() => decodeKpasswd(wrongVersion, 0)).toThrow(KrbDecodeError);
  });

  it('reads a reply that carries a KRB-ERROR instead of an AP-REP, its result in e-data', () => {
    const krbError = Buffer.from(
      // KRB-ERROR from kadmin/changepw: KRB_AP_ERR_BAD_INTEGRITY (31), e-data = result 3 "Bad password".
      derExplicit(
        'application',
        30,
        derSequence([
          derExplicit('context', 0, derInteger(5)),
          derExplicit('context', 1, derInteger(30)),
          derExplicit('context', 4, Buffer.from('180f32303236313230363036303030305a', 'hex')),
          derExplicit('context', 5, derInteger(0)),
          derExplicit('context', 6, derInteger(31)),
          derExplicit('context', 9, Buffer.from('1b0a574f524c442e54455354', 'hex')),
          derExplicit('context', 10, Buffer.from('301ba003020101a11430121b066b61646d696e1b086368616e67657077', 'hex')),
          derExplicit('context', 12, Buffer.concat([Buffer.of(0x04, 14), Buffer.of(0, 3), Buffer.from('Bad password')])),
        ]),
      ),
    );
    const { kind, tree } = decodeAuto(message(1, Buffer.alloc(0), krbError));
    expect(kind).toBe('kpasswd reply (KRB-ERROR)');
    expect(named(tree, 'result')[0]?.value).toBe('KRB5_KPASSWD_AUTHERROR: Bad password');
    expect(named(tree, 'e-data')[0]?.error).toBeUndefined();
  });

  it('reads Active Directory’s password policy in a soft error', () => {
    const policy = Buffer.alloc(32);
    policy.writeUInt16BE(4, 0); // KRB5_KPASSWD_SOFTERROR
    policy.writeUInt32BE(7, 4); // minimum length
    policy.writeUInt32BE(24, 8); // history
    policy.writeUInt32BE(1, 12); // complexity
    policy.writeBigUInt64BE(42n * 864_000_000_000n, 16); // maximum age
    policy.writeBigUInt64BE(1n * 864_000_000_000n, 24); // minimum age
    const result = readResult(policy, 100);
    expect(result.value).toBe('KRB5_KPASSWD_SOFTERROR: minimum length 7, history 24, complexity required, minimum age 1 day(s)');
    expect(result.children?.[1]?.children?.map((c) => [c.name, c.offset, c.value])).toEqual([
      ['zero', 102, 0],
      ['MinPasswordLength', 104, 7],
      ['PasswordHistoryLength', 108, 24],
      ['PasswordProperties', 112, '0x1 (complexity required)'],
      ['MaxPasswordAge', 116, '42 day(s)'],
      ['MinPasswordAge', 124, '1 day(s)'],
    ]);
    expect(readResult(Buffer.of(4), 0).error).toMatch(/a result needs a 2-byte code/);
  });

  it('never throws anything but a typed error on truncated or changed kpasswd messages', () => {
    for (let cut = 1; cut < requestBytes.length; cut += 11) {
      const truncated = Buffer.from(requestBytes.subarray(0, cut));
      if (truncated.length >= 2) truncated.writeUInt16BE(truncated.length, 0);
      expect(() => {
        try {
          decodeAuto(truncated);
        } catch (error) {
          if (!(error instanceof KrbDecodeError)) throw error;
        }
      }).not.toThrow();
    }
  });
});
