import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChainDocument } from '../../../main/api/chain';
import { chainSchemas } from '../../../main/api/chain-schemas';
import { loadChainYaml, parseChainYaml, saveChainYaml } from '../../../main/broker/chain/azure-yaml';
import { stringifyChainDocument } from '../../../main/broker/chain/azure-yaml-write';

const FULL = resolve(__dirname, '../../fixtures/chain/full/chain.yaml');

/** A listener with TLS (lines 1-9) and a chain serving it (lines 11-…), to break one line at a time. */
const LISTENER = `apiVersion: az-edge.com/v1alpha4
kind: BrokerListener
metadata:
  name: l1
spec:
  port: 8883
  authenticationEnabled: true
  tls:
    manual: { secretName: server-cert }
---
`;
const auth = (methods: string, refs = '    - l1'): string => `apiVersion: az-edge.com/v1alpha4
kind: BrokerAuthentication
metadata:
  name: a1
spec:
  listenerRef:
${refs}
  authenticationMethods:
${methods}`;

function problemsOf(text: string): Array<[number, string, string]> {
  const r = parseChainYaml(text, '/x/chain.yaml');
  expect(r.document).toBeUndefined();
  return r.problems.map((p) => [p.line, p.path, p.message]);
}

describe('Azure BrokerAuthentication / BrokerListener YAML', () => {
  it('loads the full fixture: a TLS listener and all five methods, v1alpha4 spellings mapped to the contract', async () => {
    const r = await loadChainYaml(FULL);
    expect(r.problems).toEqual([]);
    expect(r.document).toEqual({
      file: FULL,
      listeners: [
        {
          name: 'secure-listener',
          namespace: 'alice-springs',
          port: 8883,
          authenticationEnabled: true,
          tls: true,
          brokerRef: 'my-broker',
          serviceType: 'loadBalancer',
          authorizationEnabled: false,
          tlsSettings: { automatic: { issuerRef: { name: 'e2e-cert-issuer', kind: 'Issuer', group: 'cert-manager.io' } } },
        },
      ],
      authentications: [
        {
          name: 'all-methods',
          namespace: 'alice-springs',
          listenerRef: ['secure-listener'],
          authenticationMethods: [
            {
              custom: {
                endpoint: 'https://127.0.0.1:8443/auth',
                caCert: 'custom-auth-ca',
                auth: { x509: { secretName: 'custom-auth-client-cert', namespace: 'alice-springs' } },
                headers: { 'x-bench': 'fixture' },
              },
            },
            { sat: { audiences: ['aio-mq', 'my-audience'] } },
            { usernamePassword: { secretName: 'credentials' } },
            { x509: { trustedClientCaCert: 'client-ca', attributes: { secretName: 'x509-attributes' } } },
            { kerberos: { principal: 'mqtt/localhost@BENCH.TEST', keytabSecretName: 'mqtt-keytab' } },
          ],
        },
      ],
    } satisfies ChainDocument);
  });

  it('a loaded document passes the save schema, so the editor can send it back over IPC whole', async () => {
    const r = await loadChainYaml(FULL);
    expect(chainSchemas.save.safeParse([r.document]).success).toBe(true);
  });

  it('reads the later v1beta1 spellings (secretName, attributes.secretName, auth.x509.secretName) to the same document', () => {
    const r = parseChainYaml(
      LISTENER +
        auth(`    - usernamePassword: { secretName: credentials }
    - x509: { trustedClientCaCert: client-ca, attributes: { secretName: x509-attributes } }
    - custom: { endpoint: "https://auth.example:8443", auth: { x509: { secretName: cc } } }`),
      '/x/chain.yaml',
    );
    expect(r.problems).toEqual([]);
    expect(r.document?.authentications[0]?.authenticationMethods).toEqual([
      { usernamePassword: { secretName: 'credentials' } },
      { x509: { trustedClientCaCert: 'client-ca', attributes: { secretName: 'x509-attributes' } } },
      { custom: { endpoint: 'https://auth.example:8443', auth: { x509: { secretName: 'cc' } } } },
    ]);
  });

  describe('round trip', () => {
    let dir = '';
    afterEach(async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('load(save(doc)) equals doc, resources stay in order, comments of the replaced file are kept', async () => {
      dir = await mkdtemp(join(tmpdir(), 'chain-yaml-'));
      await cp(resolve(FULL, '..'), dir, { recursive: true });
      const file = join(dir, 'chain.yaml');
      const loaded = await loadChainYaml(file);
      const doc = loaded.document!;
      const saved = await saveChainYaml(doc);
      expect(saved.problems).toEqual([]);
      expect(saved.document).toEqual(doc);
      expect((await loadChainYaml(file)).document).toEqual(doc);
      const text = await readFile(file, 'utf8');
      expect(text.indexOf('kind: BrokerListener')).toBeLessThan(text.indexOf('kind: BrokerAuthentication'));
      expect(text).toContain('# A chain with every method');
      expect(text).toContain('# Tried first: an unreachable server makes it not relevant.');
      expect(text).toContain('passwordDatabase: credentials');
      expect(text).toContain('apiVersion: az-edge.com/v1alpha4');
    });

    it('writes a document made in memory (no file yet) and reads it back equal', async () => {
      dir = await mkdtemp(join(tmpdir(), 'chain-yaml-'));
      const doc: ChainDocument = {
        file: join(dir, 'new.yaml'),
        listeners: [{ name: 'plain', port: 1883, authenticationEnabled: true, tls: false }],
        authentications: [{ name: 'up', listenerRef: ['plain'], authenticationMethods: [{ usernamePassword: { secretName: 'credentials' } }, { kerberos: {} }] }],
      };
      const saved = await saveChainYaml(doc);
      expect(saved.problems).toEqual([]);
      expect(saved.document).toEqual(doc);
    });

    it('refuses to save an invalid document and leaves the file as it was', async () => {
      dir = await mkdtemp(join(tmpdir(), 'chain-yaml-'));
      const file = join(dir, 'chain.yaml');
      await writeFile(file, 'untouched\n');
      const doc: ChainDocument = {
        file,
        listeners: [{ name: 'plain', port: 1883, authenticationEnabled: true, tls: false }],
        authentications: [{ name: 'a', listenerRef: ['plain'], authenticationMethods: [{ x509: { trustedClientCaCert: 'client-ca' } }] }],
      };
      const saved = await saveChainYaml(doc);
      expect(saved.document).toBeUndefined();
      expect(saved.problems.map((p) => p.path)).toEqual(['spec.authenticationMethods[0].x509']);
      expect(await readFile(file, 'utf8')).toBe('untouched\n');
    });

    it('stringify without a previous file puts listeners first', () => {
      const text = stringifyChainDocument({
        file: '/x/c.yaml',
        authentications: [{ name: 'a', listenerRef: ['l'], authenticationMethods: [{ sat: { audiences: ['x'] } }] }],
        listeners: [{ name: 'l', port: 1, authenticationEnabled: false, tls: false }],
      });
      expect(text.split('---\n').map((d) => /kind: (\w+)/.exec(d)?.[1])).toEqual(['BrokerListener', 'BrokerAuthentication']);
    });
  });

  describe('refusals, each at its line and YAML path', () => {
    it('an unknown field deep in a method', () => {
      expect(problemsOf(LISTENER + auth('    - sat:\n        audiences: [a]\n        audience: b'))).toEqual([
        [21, 'spec.authenticationMethods[0].sat.audience', 'unknown field "audience" (known here: audiences)'],
      ]);
    });

    it('an unknown field at the top, in metadata and in a listener spec', () => {
      const text = LISTENER.replace('  port: 8883', '  port: 8883\n  ports: 1') + auth('    - sat: { audiences: [a] }').replace('kind: BrokerAuthentication', 'kind: BrokerAuthentication\nstatus: {}').replace('  name: a1', '  name: a1\n  labels: {}');
      expect(problemsOf(text).map(([l, p]) => [l, p])).toEqual([
        [7, 'spec.ports'],
        [14, 'status'],
        [17, 'metadata.labels'],
      ]);
    });

    it('wrong types: a quoted port, a string for a boolean, a map for audiences', () => {
      const text = LISTENER.replace('port: 8883', 'port: "8883"').replace('authenticationEnabled: true', 'authenticationEnabled: yes') + auth('    - sat: { audiences: { a: b } }');
      expect(problemsOf(text)).toEqual([
        [6, 'spec.port', 'expected an integer, found the string "8883"'],
        [7, 'spec.authenticationEnabled', 'expected true or false, found the string "yes"'],
        [19, 'spec.authenticationMethods[0].sat.audiences', 'expected a list, found a map'],
      ]);
    });

    it('an unknown apiVersion and an unknown kind', () => {
      const text = LISTENER.replace('az-edge.com/v1alpha4', 'az-edge.com/v1alpha3') + auth('    - sat: { audiences: [a] }').replace('kind: BrokerAuthentication', 'kind: BrokerAuthorization');
      expect(problemsOf(text).map(([l, p]) => [l, p])).toEqual([
        [1, 'apiVersion'],
        [12, 'kind'],
      ]);
    });

    it('x509 in a chain whose listener has no TLS', () => {
      const text = LISTENER.replace('  tls:\n    manual: { secretName: server-cert }\n', '') + auth('    - usernamePassword: { passwordDatabase: c }\n    - x509: { trustedClientCaCert: client-ca }');
      expect(problemsOf(text)).toEqual([
        [18, 'spec.authenticationMethods[1].x509', 'x509 needs TLS, and listener "l1" has no spec.tls (no client certificate can arrive)'],
      ]);
    });

    it('sat without audiences, and with an empty list', () => {
      expect(problemsOf(LISTENER + auth('    - sat: {}\n    - sat:\n        audiences: []'))).toEqual([
        [19, 'spec.authenticationMethods[0].sat.audiences', 'required field "audiences" is missing'],
        [21, 'spec.authenticationMethods[1].sat.audiences', 'must list at least one entry'],
      ]);
    });

    it('a listener referenced by two BrokerAuthentications', () => {
      const second = auth('    - sat: { audiences: [b] }').replace('name: a1', 'name: a2');
      const text = LISTENER + auth('    - sat: { audiences: [a] }') + '\n---\n' + second;
      expect(problemsOf(text)).toEqual([[27, 'spec.listenerRef[0]', 'listener "l1" can be linked to only one BrokerAuthentication; BrokerAuthentication "a1" already serves it']]);
    });

    it('a listenerRef naming no listener', () => {
      expect(problemsOf(LISTENER + auth('    - sat: { audiences: [a] }', '    - l1\n    - nowhere'))).toEqual([
        [18, 'spec.listenerRef[1]', 'BrokerAuthentication "a1" names listener "nowhere", and no BrokerListener in the file is called so'],
      ]);
    });

    it('duplicate names', () => {
      const text = LISTENER + LISTENER.replace('port: 8883', 'port: 8884') + auth('    - sat: { audiences: [a] }');
      expect(problemsOf(text)).toEqual([[14, 'metadata.name', 'a second BrokerListener is named "l1"']]);
    });

    it('a custom endpoint that is not https://', () => {
      expect(problemsOf(LISTENER + auth('    - custom:\n        endpoint: http://127.0.0.1:8080/auth'))).toEqual([
        [20, 'spec.authenticationMethods[0].custom.endpoint', 'the custom authentication endpoint must be an https:// URL (credentials travel to it); found "http://127.0.0.1:8080/auth"'],
      ]);
    });

    it('a method entry with two keys, and one with none', () => {
      expect(problemsOf(LISTENER + auth('    - sat: { audiences: [a] }\n      kerberos: {}\n    - {}'))).toEqual([
        [19, 'spec.authenticationMethods[0]', 'expected exactly one of custom, sat, usernamePassword, x509, kerberos; found sat and kerberos'],
        [21, 'spec.authenticationMethods[1]', 'expected exactly one of custom, sat, usernamePassword, x509, kerberos; found none'],
      ]);
    });

    it('kerberos with a principal but no keytab, and a keytab but no principal', () => {
      expect(problemsOf(LISTENER + auth('    - kerberos: { principal: mqtt/localhost@X }\n    - kerberos:\n        keytabSecretName: kt')).map(([l, p, m]) => [l, p, m.split('; ')[1]])).toEqual([
        [19, 'spec.authenticationMethods[0].kerberos', 'keytabSecretName (the secret holding krb5.keytab) is missing'],
        [20, 'spec.authenticationMethods[1].kerberos', 'principal (service/FQDN@REALM) is missing'],
      ]);
    });

    it('a secret name that would leave the directory', () => {
      expect(problemsOf(LISTENER + auth('    - usernamePassword: { passwordDatabase: ../../etc }')).map(([l, p]) => [l, p])).toEqual([
        [19, 'spec.authenticationMethods[0].usernamePassword.passwordDatabase'],
      ]);
    });

    it('YAML syntax errors and duplicate keys, with their lines', () => {
      const text = LISTENER.replace('  port: 8883', '  port: 8883\n  port: 8884') + auth('    - sat: { audiences: [a }');
      const problems = problemsOf(text);
      // Every problem is reported, not the first only: the bad flow sequence yields two at its line.
      expect([...new Set(problems.map(([l, p]) => `${l}:${p}`))]).toEqual(['7:', '20:']);
      expect(problems[0]?.[2]).toMatch(/^YAML: Map keys must be unique/);
      expect(problems[1]?.[2]).toMatch(/^YAML: /);
    });

    it('an empty file and a file that is not there', async () => {
      expect(problemsOf('')).toEqual([[1, '', 'no BrokerAuthentication or BrokerListener in the file']]);
      const r = await loadChainYaml('/nonexistent/chain.yaml');
      expect(r.problems).toEqual([{ file: '/nonexistent/chain.yaml', line: 1, path: '', message: 'cannot read /nonexistent/chain.yaml: ENOENT' }]);
    });
  });
});
