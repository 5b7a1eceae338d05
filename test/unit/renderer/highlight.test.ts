/**
 * The Export view's syntax highlighter: every format the bench exports gets its keys, values,
 * comments and sections told apart — on the files the export targets write (krb5.conf, EMQX's
 * HOCON block, elasticsearch.yml, Hazelcast XML, clients.toml, a JAAS file, the MQTT.js program,
 * kubectl commands) — states carry across lines (XML comments, TOML multi-line strings, YAML
 * block scalars), no character is lost or added whatever the input, and markup is escaped.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { highlight, type TokenKind } from '../../../renderer/src/utils/highlight';

/** The tokens of one kind, in order, across the whole text. */
function of(text: string, language: string, kind: TokenKind): string[] {
  return highlight(text, language)
    .flat()
    .filter((t) => t.kind === kind)
    .map((t) => t.text.trim());
}

const LANGUAGES = ['hocon', 'krb5', 'yaml', 'xml', 'toml', 'json', 'typescript', 'jaas', 'properties', 'shell', 'markdown', 'text', 'binary'];

describe('highlight: each format the bench exports', () => {
  it('krb5.conf: sections, keys, values, realm blocks and comments', () => {
    const conf = ['# made by kbench', '[libdefaults]', '  default_realm = BENCH.TEST', '  rdns = false', '  ticket_lifetime = 24h', '[realms]', '  BENCH.TEST = {', '    kdc = 127.0.0.1:51234', '  }', '; old style'].join('\n');
    expect(of(conf, 'krb5', 'section')).toEqual(['[libdefaults]', '[realms]']);
    expect(of(conf, 'krb5', 'key')).toEqual(['default_realm', 'rdns', 'ticket_lifetime', 'BENCH.TEST', 'kdc']);
    expect(of(conf, 'krb5', 'string')).toEqual(['BENCH.TEST', '127.0.0.1:51234']);
    expect(of(conf, 'krb5', 'keyword')).toEqual(['false']);
    expect(of(conf, 'krb5', 'number')).toEqual(['24h']);
    expect(of(conf, 'krb5', 'comment')).toEqual(['# made by kbench', '; old style']);
    // A value ends with its line: the next line's name is a key again.
    expect(highlight('a = b\nc = d', 'krb5').map((l) => l[0])).toEqual([
      { text: 'a', kind: 'key' },
      { text: 'c', kind: 'key' },
    ]);
  });

  it('HOCON: dotted keys, quoted principals, substitutions, multi-line strings', () => {
    const conf = ['authentication = [', '  {', '    mechanism = gssapi', '    backend = kerberos', '    principal = "mqtt/localhost@BENCH.TEST"', '    keytab_file = ${?KRB5_KTNAME}', '  }', ']', 'a.b.c: 5s // note', 'doc = """two', 'lines"""'].join('\n');
    expect(of(conf, 'hocon', 'key')).toEqual(['authentication', 'mechanism', 'backend', 'principal', 'keytab_file', 'a.b.c', 'doc']);
    expect(of(conf, 'hocon', 'string')).toEqual(['gssapi', 'kerberos', '"mqtt/localhost@BENCH.TEST"', '"""two', 'lines"""']);
    expect(of(conf, 'hocon', 'variable')).toEqual(['${?KRB5_KTNAME}']);
    expect(of(conf, 'hocon', 'number')).toEqual(['5s']);
    expect(of(conf, 'hocon', 'comment')).toEqual(['// note']);
  });

  it('YAML: keys (also after "- " and in flow maps), scalars by type, comments, block scalars as text', () => {
    const doc = [
      'xpack.security.authc.realms.kerberos.kerb1:',
      '  order: 0 # first',
      '  keytab.path: es.keytab',
      '  remove_realm_name: false',
      'roles: [monitoring_user, "viewer"]',
      '- name: krb5-conf',
      '  data:',
      '    krb5.conf: |',
      '      [libdefaults]',
      '        default_realm = X: y',
      '  url: http://host:9200',
      'flow: {a: 1}',
    ].join('\n');
    expect(of(doc, 'yaml', 'key')).toEqual(['xpack.security.authc.realms.kerberos.kerb1', 'order', 'keytab.path', 'remove_realm_name', 'roles', 'name', 'data', 'krb5.conf', 'url', 'flow', 'a']);
    expect(of(doc, 'yaml', 'number')).toEqual(['0', '1']);
    expect(of(doc, 'yaml', 'keyword')).toEqual(['false']);
    expect(of(doc, 'yaml', 'comment')).toEqual(['# first']);
    // The block scalar's lines are one string each (no key inside them), and it ends at "url:".
    const lines = highlight(doc, 'yaml');
    expect(lines[8]).toEqual([{ text: '      [libdefaults]', kind: 'string' }]);
    expect(lines[9]).toEqual([{ text: '        default_realm = X: y', kind: 'string' }]);
    expect(of(doc, 'yaml', 'string')).toContain('http://host:9200');
  });

  it('XML: tags, attributes and their values, comments across lines, entities', () => {
    const doc = ['<?xml version="1.0" encoding="UTF-8"?>', '<!-- the member', '     side -->', '<kerberos-identity>', '  <principal>hz/127.0.0.1@BENCH.TEST</principal>', '  <realm name="krb" use-name-without-realm="true"/>', '  <a>x &amp; y</a>', '</kerberos-identity>'].join('\n');
    expect(of(doc, 'xml', 'comment')).toEqual(['<!-- the member', 'side -->']);
    expect(of(doc, 'xml', 'attr')).toEqual(['version', 'encoding', 'name', 'use-name-without-realm']);
    expect(of(doc, 'xml', 'string')).toEqual(['"1.0"', '"UTF-8"', '"krb"', '"true"']);
    expect(of(doc, 'xml', 'tag')).toContain('<kerberos-identity>');
    expect(of(doc, 'xml', 'variable')).toEqual(['&amp;']);
    // Element text stays plain.
    expect(highlight(doc, 'xml')[4]!.find((t) => t.text.includes('hz/'))?.kind).toBeNull();
  });

  it('TOML: tables, dotted and quoted keys, multi-line strings, dates, booleans', () => {
    const doc = ['# clients', '[[clients]]', 'username = "alice"', 'password = """$pbkdf2-sha512$i=210000', 'hash"""', '"quoted key".x = 1_000', 'when = 2026-12-06T15:00:00Z', 'ok = true', '[attributes]'].join('\n');
    expect(of(doc, 'toml', 'section')).toEqual(['[[clients]]', '[attributes]']);
    expect(of(doc, 'toml', 'key')).toEqual(['username', 'password', '"quoted key".x', 'when', 'ok']);
    expect(of(doc, 'toml', 'string')).toEqual(['"alice"', '"""$pbkdf2-sha512$i=210000', 'hash"""']);
    expect(of(doc, 'toml', 'number')).toEqual(['1_000', '2026-12-06T15:00:00Z']);
    expect(of(doc, 'toml', 'keyword')).toEqual(['true']);
  });

  it('JSON: keys apart from string values', () => {
    const doc = '{ "AuthServerAllowlist": "localhost", "n": -1.5e3, "ok": [true, null] }';
    expect(of(doc, 'json', 'key')).toEqual(['"AuthServerAllowlist"', '"n"', '"ok"']);
    expect(of(doc, 'json', 'string')).toEqual(['"localhost"']);
    expect(of(doc, 'json', 'number')).toEqual(['-1.5e3']);
    expect(of(doc, 'json', 'keyword')).toEqual(['true', 'null']);
  });

  it('TypeScript: keywords, strings, template literals across lines, block comments, types and calls', () => {
    const src = ['/* the MQTT.js client', '   with kerberos */', "import { connect } from 'mqtt';", 'const url = `mqtt://${host}', '`; // end', 'const client = connect(url, { protocolVersion: 5 });', 'type X = Buffer;'].join('\n');
    expect(of(src, 'typescript', 'comment')).toEqual(['/* the MQTT.js client', 'with kerberos */', '// end']);
    expect(of(src, 'typescript', 'keyword')).toEqual(['import', 'from', 'const', 'const', 'type']);
    expect(of(src, 'typescript', 'string')).toEqual(["'mqtt'", '`mqtt://', '`']);
    expect(of(src, 'typescript', 'variable')).toEqual(['${host}']);
    expect(of(src, 'typescript', 'function')).toEqual(['connect']);
    expect(of(src, 'typescript', 'number')).toEqual(['5']);
    expect(of(src, 'typescript', 'type')).toEqual(['X', 'Buffer']);
  });

  it('JAAS: entry names, the module class, flags, options', () => {
    const conf = ['Client {', '  com.sun.security.auth.module.Krb5LoginModule required', '    useKeyTab=true', '    principal="alice@BENCH.TEST";', '};'].join('\n');
    expect(of(conf, 'jaas', 'section')).toEqual(['Client']);
    expect(of(conf, 'jaas', 'type')).toEqual(['com.sun.security.auth.module.Krb5LoginModule']);
    expect(of(conf, 'jaas', 'keyword')).toEqual(['required', 'true']);
    expect(of(conf, 'jaas', 'key')).toEqual(['useKeyTab', 'principal']);
    expect(of(conf, 'jaas', 'string')).toEqual(['"alice@BENCH.TEST"']);
  });

  it('shell and properties: comments, strings, variables, flags, assignments', () => {
    const sh = ['# create the secret', 'export KRB5_CONFIG=/etc/krb5.conf', 'kubectl create secret generic krb5-keytab --from-file=keytab=./mqtt.keytab -n "$NS" # ns'].join('\n');
    expect(of(sh, 'shell', 'comment')).toEqual(['# create the secret', '# ns']);
    expect(of(sh, 'shell', 'keyword')).toEqual(['export']);
    expect(of(sh, 'shell', 'key')).toEqual(['KRB5_CONFIG']);
    expect(of(sh, 'shell', 'attr')).toEqual(['--from-file', '-n']);
    expect(of(sh, 'shell', 'string')).toEqual(['"$NS"']);
    const props = '# jvm\n-Djava.security.krb5.conf=/etc/krb5.conf\nuser.js: x';
    expect(of(props, 'properties', 'key')).toEqual(['-Djava.security.krb5.conf', 'user.js']);
    expect(of(props, 'properties', 'string')).toEqual(['/etc/krb5.conf', 'x']);
  });

  it('Markdown: headings, code, fences', () => {
    const md = ['# Steps', '- put `mqtt.keytab` in **/etc**', '```sh', '# not a heading', '```'].join('\n');
    expect(of(md, 'markdown', 'section')).toEqual(['# Steps']);
    expect(of(md, 'markdown', 'string')).toEqual(['`mqtt.keytab`', '# not a heading']);
    expect(of(md, 'markdown', 'keyword')).toEqual(['**/etc**']);
  });

  it('text, binary and unknown languages come back plain', () => {
    for (const language of ['text', 'binary', 'cobol']) expect(highlight('a = "b"\n\nc', language)).toEqual([[{ text: 'a = "b"', kind: null }], [], [{ text: 'c', kind: null }]]);
  });
});

describe('highlight: the text is kept exactly', () => {
  it('joins back to the input, for any text in any language', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), fc.constantFrom(...LANGUAGES), (text, language) => {
        const lines = highlight(text, language);
        expect(lines.map((l) => l.map((t) => t.text).join('')).join('\n')).toBe(text);
        // No empty tokens, and neighbours of the same kind are merged.
        for (const line of lines) line.forEach((t, i) => expect(t.text === '' || (i > 0 && line[i - 1]!.kind === t.kind)).toBe(false));
      }),
      { numRuns: 600 },
    );
  });

  it('also for text made of each format\'s own punctuation', () => {
    const pieces = ['"', "'", '`', '"""', "'''", '${', '}', '{', '[', ']', '<', '>', '<!--', '-->', '/*', '*/', '#', '=', ':', '- ', '\n', '  ', 'a', '|', '&amp;', '\\'];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 60 }), fc.constantFrom(...LANGUAGES), (parts, language) => {
        const text = parts.join('');
        expect(highlight(text, language).map((l) => l.map((t) => t.text).join('')).join('\n')).toBe(text);
      }),
      { numRuns: 600 },
    );
  });

  it('shows a very long line plain after its first 4000 characters, and quickly', () => {
    const line = `key = ${'x'.repeat(200_000)}`;
    const started = performance.now();
    const [tokens] = highlight(line, 'krb5');
    expect(tokens!.map((t) => t.text).join('')).toBe(line);
    expect(tokens![tokens!.length - 1]).toEqual({ text: 'x'.repeat(200_000 + 6 - 4000), kind: null });
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
