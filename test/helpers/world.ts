/**
 * test/fixtures/world/world.json: material real tools made against a throwaway MIT realm
 * (WORLD.TEST) — a curl --negotiate header, a JVM SPNEGO token, an MIT token with delegated
 * credentials, and the KDC's TCP stream of a FAST-armored kinit and a kvno — with the keytab that
 * opens it (krbtgt, alice, HTTP/localhost).
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
}

export const world = JSON.parse(readFileSync(path.resolve('test/fixtures/world/world.json'), 'utf8')) as WorldFixture;

export const worldKeytabBytes = Buffer.from(world.keytab, 'base64');

export const worldKeytab: KeytabEntry[] = parseKeytab(worldKeytabBytes).keytab.entries;
