/**
 * RFC 7235 / RFC 4559 / RFC 7617 header grammar: challenge lists whose commas separate both
 * challenges and auth-params, token68 with padding, credentials, and typed errors with offsets.
 * The Negotiate token is a real SPNEGO NegTokenInit built by our encoder (the bytes curl sends
 * start with the same 0x60 framing and SPNEGO OID).
 */
import { describe, expect, it } from 'vitest';
import { KERBEROS_OIDS } from '../../../main/krb/gss/framing';
import { encodeNegTokenInit } from '../../../main/krb/gss/spnego';
import {
  basicChallenge,
  describeCredentials,
  formatAuthorization,
  formatChallenge,
  HttpHeaderError,
  MAX_AUTH_HEADER_CHARS,
  negotiateChallenge,
  parseAuthorization,
  parseChallenges,
} from '../../../main/http/negotiate';

function headerError(run: () => unknown): HttpHeaderError {
  try {
    run();
  } catch (error) {
    if (error instanceof HttpHeaderError) return error;
    throw error;
  }
  throw new Error('no HttpHeaderError');
}

describe('WWW-Authenticate challenge lists', () => {
  it('reads Negotiate and Basic in one header and across headers', () => {
    expect(parseChallenges('Negotiate, Basic realm="security", charset="UTF-8"')).toEqual([
      { scheme: 'Negotiate', params: {} },
      { scheme: 'Basic', params: { realm: 'security', charset: 'UTF-8' } },
    ]);
    expect(parseChallenges(['Negotiate', 'Basic realm=x']).map((c) => c.scheme)).toEqual(['Negotiate', 'Basic']);
  });

  it('tells a padded token68 from an auth-param', () => {
    const [negotiate, basic] = parseChallenges('Negotiate oYG2MIGzoAMKAQA=, Basic realm="a\\"b"');
    expect(negotiate).toMatchObject({ scheme: 'Negotiate', token68: 'oYG2MIGzoAMKAQA=' });
    expect(basic!.params.realm).toBe('a"b');
    expect(parseChallenges('Negotiate YII+/w==')[0]!.token68).toBe('YII+/w==');
  });

  it('formats what it parses', () => {
    expect(basicChallenge('security')).toBe('Basic realm="security", charset="UTF-8"');
    expect(negotiateChallenge()).toBe('Negotiate');
    expect(negotiateChallenge(Buffer.from([1, 2, 3]))).toBe('Negotiate AQID');
    const text = formatChallenge({ scheme: 'Basic', params: { realm: 'we "quote"' } });
    expect(parseChallenges(text)[0]!.params.realm).toBe('we "quote"');
  });

  it('names the header and the offset of what is wrong', () => {
    expect(headerError(() => parseChallenges('Basic realm="open')).message).toBe('WWW-Authenticate at character 12: quoted-string is not closed (no ending ")');
    expect(headerError(() => parseChallenges('Basic realm=x realm2=y')).offset).toBe(14);
    expect(headerError(() => parseChallenges('Basic realm=a, realm=b')).reason).toMatch(/appears twice/);
    expect(headerError(() => parseChallenges('@bad')).message).toMatch(/at character 0: expected an auth-scheme/);
  });
});

describe('Authorization credentials', () => {
  const spnego = encodeNegTokenInit([KERBEROS_OIDS.krb5], Buffer.from([0x6e, 0x00]));

  it('decodes a Negotiate token and Basic user:password', () => {
    const negotiate = parseAuthorization(`Negotiate ${spnego.toString('base64')}`);
    expect(negotiate).toMatchObject({ scheme: 'Negotiate' });
    expect(negotiate.scheme === 'Negotiate' && negotiate.token.equals(spnego)).toBe(true);
    expect(parseAuthorization(formatAuthorization({ scheme: 'Basic', user: 'alice', password: 'pa:ss wörd' }))).toEqual({ scheme: 'Basic', user: 'alice', password: 'pa:ss wörd' });
    expect(parseAuthorization('negotiate AQID')).toMatchObject({ scheme: 'Negotiate', base64: 'AQID' });
    expect(parseAuthorization('Bearer abc.def')).toEqual({ scheme: 'other', name: 'Bearer' });
  });

  it('never shows a Basic password', () => {
    const credentials = parseAuthorization(`Basic ${Buffer.from('admin:s3cret').toString('base64')}`);
    expect(describeCredentials(credentials)).toBe('Basic admin:••••');
    expect(describeCredentials(parseAuthorization('Negotiate AQID'))).toBe('Negotiate <3-byte token>');
  });

  it('refuses garbage with the offset of the first bad character', () => {
    expect(headerError(() => parseAuthorization('Negotiate')).reason).toMatch(/carry a base64 GSS-API token/);
    const bad = headerError(() => parseAuthorization('Negotiate YII_AAA'));
    expect([bad.offset, bad.reason]).toEqual([13, 'the Negotiate token is not base64 ("_")']);
    expect(headerError(() => parseAuthorization('Negotiate A')).reason).toMatch(/cannot be base64/);
    expect(headerError(() => parseAuthorization('Negotiate AQID, Basic x')).reason).toMatch(/second one/);
    expect(headerError(() => parseAuthorization(`Basic ${Buffer.from('nocolon').toString('base64')}`)).reason).toMatch(/without ":"/);
    expect(headerError(() => parseAuthorization(`Basic ${Buffer.from('a:\nb').toString('base64')}`)).reason).toMatch(/control character/);
    expect(headerError(() => parseAuthorization(`Negotiate ${'A'.repeat(MAX_AUTH_HEADER_CHARS)}`)).reason).toMatch(/is refused/);
    expect(headerError(() => parseAuthorization('Negotiate\u0001 AQID')).message).toMatch(/control character 0x01/);
  });
});
