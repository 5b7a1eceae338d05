import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadChainYaml } from '../../../main/broker/chain/azure-yaml';
import { resolveChain, resolveChainFile } from '../../../main/broker/chain/resolve';

const FIXTURE = resolve(__dirname, '../../fixtures/chain/full');

describe('resolving the secrets and config maps beside the YAML', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'chain-resolve-'));
    await cp(FIXTURE, dir, { recursive: true });
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const file = (...parts: string[]): string => join(dir, ...parts);
  const text = (...parts: string[]): Promise<string> => readFile(file(...parts), 'utf8');

  it('reads every file the full fixture names, in method order, for its one listener', async () => {
    const r = await resolveChainFile(file('chain.yaml'));
    expect(r.problems).toEqual([]);
    expect(r.chains).toHaveLength(1);
    const [chain] = r.chains;
    expect(chain?.listener.name).toBe('secure-listener');
    expect(chain?.authentication).toBe('all-methods');
    expect(chain?.methods).toEqual([
      {
        kind: 'custom',
        endpoint: 'https://127.0.0.1:8443/auth',
        caCertPem: await text('custom-auth-ca', 'ca.pem'),
        clientCertPem: await text('custom-auth-client-cert', 'tls.crt'),
        clientKeyPem: await text('custom-auth-client-cert', 'tls.key'),
        headers: { 'x-bench': 'fixture' },
      },
      { kind: 'sat', audiences: ['aio-mq', 'my-audience'], jwks: await text('all-methods-sat-keys', 'jwks.json') },
      { kind: 'usernamePassword', passwordsToml: await text('credentials', 'passwords.toml'), source: join('credentials', 'passwords.toml') },
      {
        kind: 'x509',
        trustedCaPem: await text('client-ca', 'client_ca.pem'),
        source: join('client-ca', 'client_ca.pem'),
        attributesToml: await text('x509-attributes', 'x509Attributes.toml'),
      },
      { kind: 'kerberos', credentials: 'custom', principal: 'mqtt/localhost@BENCH.TEST', keytab: file('mqtt-keytab', 'krb5.keytab') },
    ]);
  });

  it('a missing file is a problem naming the expected path and the line that named the secret; no chain comes back', async () => {
    await rm(file('credentials'), { recursive: true });
    await rm(file('client-ca', 'client_ca.pem'));
    const r = await resolveChainFile(file('chain.yaml'));
    expect(r.chains).toEqual([]);
    expect(r.problems).toEqual([
      {
        file: file('chain.yaml'),
        line: 42,
        path: 'spec.authenticationMethods[2].usernamePassword.passwordDatabase',
        message: `secret "credentials": expected the file ${join('credentials', 'passwords.toml')} beside the YAML (key passwords.toml, as kubectl create secret generic credentials --from-file=passwords.toml=FILE holds it)`,
      },
      {
        file: file('chain.yaml'),
        line: 44,
        path: 'spec.authenticationMethods[3].x509.trustedClientCaCert',
        message: `config map "client-ca": expected the file ${join('client-ca', 'client_ca.pem')} beside the YAML (key client_ca.pem, as kubectl create configmap client-ca --from-file=client_ca.pem=FILE holds it)`,
      },
    ]);
  });

  it('sat without keys beside it says where they go (the bench extension)', async () => {
    await rm(file('all-methods-sat-keys'), { recursive: true });
    const r = await resolveChainFile(file('chain.yaml'));
    expect(r.problems.map((p) => [p.line, p.path])).toEqual([[39, 'spec.authenticationMethods[1].sat']]);
    expect(r.problems[0]?.message).toContain(join('all-methods-sat-keys', 'jwks.json'));
  });

  it('sat keys as PEM files, and the v1alpha4 attributes.toml key when x509Attributes.toml is absent', async () => {
    await rm(file('all-methods-sat-keys', 'jwks.json'));
    await writeFile(file('all-methods-sat-keys', 'b.pem'), 'B\n');
    await writeFile(file('all-methods-sat-keys', 'a.pem'), 'A\n');
    await rm(file('x509-attributes', 'x509Attributes.toml'));
    await writeFile(file('x509-attributes', 'attributes.toml'), '# v1alpha4 key\n');
    const r = await resolveChainFile(file('chain.yaml'));
    expect(r.problems).toEqual([]);
    const methods = r.chains[0]?.methods ?? [];
    expect(methods[1]).toEqual({ kind: 'sat', audiences: ['aio-mq', 'my-audience'], publicKeysPem: ['A\n', 'B\n'] });
    expect(methods[3]).toMatchObject({ kind: 'x509', attributesToml: '# v1alpha4 key\n' });
  });

  it('kerberos without fields is the lab realm; a listener no chain serves gets no methods', async () => {
    const yaml = `apiVersion: az-edge.com/v1alpha4
kind: BrokerListener
metadata: { name: open }
spec: { port: 1883 }
---
apiVersion: az-edge.com/v1alpha4
kind: BrokerListener
metadata: { name: krb }
spec: { port: 1884, authenticationEnabled: true }
---
apiVersion: az-edge.com/v1alpha4
kind: BrokerAuthentication
metadata: { name: k }
spec:
  listenerRef: [krb]
  authenticationMethods:
    - kerberos: {}
`;
    await writeFile(file('k.yaml'), yaml);
    const loaded = await loadChainYaml(file('k.yaml'));
    const r = await resolveChain(loaded.document!, loaded.lines);
    expect(r.problems).toEqual([]);
    expect(r.chains.map((c) => [c.listener.name, c.listener.authenticationEnabled, c.authentication, c.methods])).toEqual([
      ['open', false, undefined, []],
      ['krb', true, 'k', [{ kind: 'kerberos', credentials: 'lab' }]],
    ]);
  });
});
