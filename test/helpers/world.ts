/**
 * test/fixtures/world/world.json: material real tools made against a throwaway MIT realm
 * (WORLD.TEST) — a curl --negotiate header, a JVM SPNEGO token, an MIT token with delegated
 * credentials, the KDC's TCP streams of a FAST-armored kinit and a kvno, a plain kinit and an
 * S4U2self, MIT's KRB-SAFE and KRB-PRIV, and kpasswd change and set exchanges — with the keytab
 * that opens it (krbtgt, alice, HTTP/localhost, kadmin/changepw).
 * How it was made: test/fixtures/world/make.sh.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseKeytab, type KeytabEntry } from '../../main/krb/keytab';

interface WorldFixture {
  provenance: string;
  realm: string;
  keytab: string;
  curlAuthorization: string;
  javaSpnego: string;
  kdcStreamFast: string;
  /** An MIT GSS initial token with GSS_C_DELEG_FLAG: the authenticator carries a KRB-CRED. */
  delegatedApReq: string;
  /** A plain kinit (PA-ENC-TIMESTAMP, no FAST) as the KDC's TCP stream. */
  kdcStreamPlain: string;
  /** The throwaway realm's password of alice (random; it opens this material and nothing else). */
  alicePassword: string;
  /** kinit -k HTTP/localhost, then kvno -U alice HTTP/localhost: S4U2self inside TGS FAST. */
  kdcStreamS4u: string;
  /** krb5_mk_safe and krb5_mk_priv of "hello from krb5_mk_safe" with a fresh aes256 key (hex). */
  mitSafe: { key: string; safe: string; priv: string };
  /** kpasswd alice (protocol version 1): the AS exchange for kadmin/changepw, then request and reply. */
  kpasswdStream: string;
  /** The password kpasswd set (the version-1 request carries it). */
  aliceNewPassword: string;
  /** krb5_set_password for alice (protocol version 0xFF80, ChangePasswdData), logged in with aliceNewPassword. */
  setPasswordStream: string;
  /** The password krb5_set_password set. */
  aliceSetPassword: string;
  /** Keys of host/camellia (camellia256 and camellia128) and host/des3 (des3-cbc-sha1), base64. */
  legacyKeytab: string;
  /** alice's ccache from the camellia/des3 KDC: tickets for both services, one with a camellia session key. */
  legacyCcache: string;
  /** kinit, kvno host/camellia host/des3 and kvno -e camellia256-cts-cmac host/camellia, on the wire. */
  kdcStreamLegacy: string;
}

export const world = JSON.parse(readFileSync(path.resolve('test/fixtures/world/world.json'), 'utf8')) as WorldFixture;

export const worldKeytabBytes = Buffer.from(world.keytab, 'base64');

export const worldKeytab: KeytabEntry[] = parseKeytab(worldKeytabBytes).keytab.entries;

/** host/camellia and host/des3, keyed by the camellia/des3 KDC of make.sh. */
export const legacyKeytab: KeytabEntry[] = parseKeytab(Buffer.from(world.legacyKeytab, 'base64')).keytab.entries;
