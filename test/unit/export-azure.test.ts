/**
 * The Azure IoT MQ export and importer without a broker: the files (YAML read back by the chain
 * loader's parser, TOML by smol-toml and the chain's password-database reader, apply.sh by sh -n),
 * secrets redacted unless revealed, the same model giving the same files, what an import
 * understands (each method in order, with its line) and does not use, and the round trip.
 */
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseChainYaml } from '../../main/broker/chain/azure-yaml';
import { parsePasswordsToml } from '../../main/broker/chain/methods/username-password';
import { verifyPassword } from '../../main/broker/chain/pbkdf2';
import { azureImporter } from '../../main/export/import/azure';
import { azureTarget } from '../../main/export/targets/azure';
import { fakeLabModel, FAKE_KEYTAB } from '../helpers/export-model';
import type { ExportModel } from '../../main/export/types';
import type { ExportFile } from '../../main/api/export';
import { runTool } from '../../main/system/exec';

const FIXTURES = path.join(__dirname, '../fixtures/export/azure');
const KEYTAB = FAKE_KEYTAB; // bytes only: the target never parses them

const model = (overrides: Partial<ExportModel> = {}): ExportModel => fakeLabModel({ mqtt: { ...fakeLabModel().mqtt, keytab: KEYTAB }, ...overrides });

const file = (files: ExportFile[], p: string) => files.find((f) => f.path === p)!;

describe('Azure IoT MQ export (chain made for the realm)', () => {
  it('writes the listener and the chain in order, readable by the chain loader, secrets redacted', async () => {
    const { files, notes } = azureTarget.generate(model(), false);
    expect(files.map((f) => f.path)).toEqual([
      'azure/broker-listener.yaml',
      'azure/broker-authentication.yaml',
      'azure/clients.toml',
      'azure/client-passwords.txt',
      'azure/mqtt-keytab/krb5.keytab',
      'azure/apply.sh',
    ]);
    const yaml = `${file(files, 'azure/broker-listener.yaml').text}---\n${file(files, 'azure/broker-authentication.yaml').text}`;
    const parsed = parseChainYaml(yaml, 'export.yaml');
    expect(parsed.problems).toEqual([]);
    expect(parsed.document!.listeners).toMatchObject([{ name: 'kerberos-listener', namespace: 'azure-iot-operations', port: 1883, authenticationEnabled: true }]);
    expect(parsed.document!.authentications[0]!.authenticationMethods).toEqual([
      { kerberos: { principal: 'mqtt/localhost@BENCH.TEST', keytabSecretName: 'mqtt-keytab' } },
      { usernamePassword: { secretName: 'credentials' } },
    ]);
    const clients = file(files, 'azure/clients.toml');
    expect(clients).toMatchObject({ mode: 0o600, redacted: true, language: 'toml' });
    expect(parseToml(clients.text)).toEqual({ alice: { password: '<redacted: --reveal-secrets>', attributes: { principal: 'alice@BENCH.TEST', realm: 'BENCH.TEST' } } });
    expect(file(files, 'azure/client-passwords.txt').text).not.toMatch(/^alice (?!<redacted)/m);
    expect(file(files, 'azure/mqtt-keytab/krb5.keytab')).toMatchObject({ mode: 0o600, language: 'binary', redacted: true, withheld: expect.stringContaining('--reveal-secrets') });
    expect(file(files, 'azure/mqtt-keytab/krb5.keytab').binary).toBeUndefined();
    const apply = file(files, 'azure/apply.sh').text;
    expect(apply).toContain('kubectl create secret generic credentials --from-file=passwords.toml=clients.toml -n "$NS"');
    expect(apply).toContain('kubectl create secret generic mqtt-keytab --from-file=krb5.keytab=mqtt-keytab/krb5.keytab -n "$NS"');
    expect(apply).toMatch(/kubectl apply -f broker-listener\.yaml -n "\$NS"\nkubectl apply -f broker-authentication\.yaml -n "\$NS"/);
    expect(notes.join('\n')).toMatch(/not Azure IoT MQ's/);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-azure-sh-'));
    try {
      await writeFile(path.join(dir, 'apply.sh'), apply);
      expect((await runTool('/bin/sh', ['-n', path.join(dir, 'apply.sh')])).ok).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('revealed: az-edge style PBKDF2 hashes that verify with the client password, and the keytab bytes; the same model gives the same files', async () => {
    const m = model({ options: { azure: { namespace: 'plant-7' } } });
    const a = azureTarget.generate(m, true).files;
    const b = azureTarget.generate({ ...m }, true).files;
    expect(b.map((f) => f.text)).toEqual(a.map((f) => f.text));
    const clients = file(a, 'azure/clients.toml');
    const users = parsePasswordsToml(clients.text, 'clients.toml');
    expect(users.get('alice')!.hash.iterations).toBe(210_000);
    expect(clients.text).toMatch(/^password = "\$pbkdf2-sha512\$i=210000,l=64\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{86}"$/m);
    const [user, password] = file(a, 'azure/client-passwords.txt').text.split('\n').find((l) => l.startsWith('alice '))!.split(' ');
    expect(user).toBe('alice');
    expect(await verifyPassword(parseToml(clients.text).alice ? (parseToml(clients.text) as { alice: { password: string } }).alice.password : '', password!)).toMatchObject({ matches: true });
    expect(Buffer.from(file(a, 'azure/mqtt-keytab/krb5.keytab').binary!, 'base64')).toEqual(Buffer.from(KEYTAB));
    expect(file(a, 'azure/broker-listener.yaml').text).toContain('namespace: plant-7');
    expect(file(a, 'azure/apply.sh').text).toContain('NS="${NAMESPACE:-plant-7}"');
  });
});

describe('Azure IoT MQ import', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-azure-import-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));
  const read = async (f: string) => azureImporter.read({ file: f, text: await readFile(f, 'utf8'), onDisk: true });

  it('understands each method in chain order with its line, lists what the bench does not run', async () => {
    const f = path.join(FIXTURES, 'chain.yaml');
    expect(azureImporter.detect({ file: f, text: await readFile(f, 'utf8'), onDisk: true })).toBe('kind: BrokerListener');
    const r = await read(f);
    const setting = (key: string) => r.understood.find((u) => u.key === key);
    expect(setting('BrokerAuthentication/factory-authn.spec.authenticationMethods[0]')).toMatchObject({ value: 'kerberos', line: 29 });
    expect(setting('BrokerAuthentication/factory-authn.spec.authenticationMethods[0].kerberos.principal')).toMatchObject({ value: 'mqtt/localhost@BENCH.TEST', line: 30 });
    expect(setting('BrokerAuthentication/factory-authn.spec.authenticationMethods[1]')).toMatchObject({ value: 'usernamePassword', line: 32 });
    expect(setting('BrokerAuthentication/factory-authn.spec.authenticationMethods[1].usernamePassword.secretName')).toMatchObject({ value: 'credentials', line: 33 });
    expect(setting('BrokerListener/factory-listener.spec.port')).toMatchObject({ value: '8883', line: 9 });
    const unused = (key: string) => r.unused.find((u) => u.key === key);
    expect(unused('BrokerListener/factory-listener.spec.brokerRef')).toMatchObject({ value: 'my-broker', line: 8 });
    expect(unused('BrokerListener/factory-listener.spec.authorizationEnabled')).toMatchObject({ line: 12 });
    expect(unused('BrokerListener/factory-listener.spec.tls')).toMatchObject({ value: 'automatic', line: 13 });
    // The keytab secret is not beside the fixture: a warning at the line that names it.
    expect(r.problems).toEqual([expect.objectContaining({ severity: 'warning', line: 31, message: expect.stringContaining('mqtt-keytab/krb5.keytab'), fix: expect.stringContaining('put the file at') })]);
    expect(r.setup).toEqual({ chainFile: f, servicePrincipal: 'mqtt/localhost@BENCH.TEST', realm: 'BENCH.TEST' });
  });

  it('exports options.azure.chainFile: its resources, the model keytab for its kerberos secret, its namespace', () => {
    const { files } = azureTarget.generate(model({ options: { azure: { chainFile: path.join(FIXTURES, 'chain.yaml') } } }), false);
    const auth = files.find((f) => f.path === 'azure/broker-authentication.yaml')!.text;
    expect(auth).toContain('name: factory-authn');
    expect(auth).toMatch(/kerberos:\n\s+principal: mqtt\/localhost@BENCH\.TEST\n\s+keytabSecretName: mqtt-keytab\n\s+- usernamePassword:\n\s+passwordDatabase: credentials/);
    expect(files.find((f) => f.path === 'azure/broker-listener.yaml')!.text).toContain('issuerRef:');
    expect(files.find((f) => f.path === 'azure/apply.sh')!.text).toContain('NS="${NAMESPACE:-factory}"');
    expect(files.find((f) => f.path === 'azure/mqtt-keytab/krb5.keytab')!.withheld).toMatch(/--reveal-secrets/);
  });

  it('reports a broken chain with file, line, path and a fix', async () => {
    const broken = path.join(dir, 'broken.yaml');
    await writeFile(broken, 'apiVersion: az-edge.com/v1alpha4\nkind: BrokerAuthentication\nmetadata:\n  name: a\nspec:\n  listenerRef: [nowhere]\n  authenticationMethods:\n    - sat: { audiences: [x] }\n    - kerberos:\n        principal: mqtt/h@R\n');
    const r = await read(broken);
    expect(r.understood).toEqual([]);
    expect(r.problems.map((p) => [p.line, p.severity])).toEqual([
      [6, 'error'],
      [9, 'error'],
    ]);
    expect(r.problems[1]!.message).toMatch(/keytabSecretName .* is missing/);
    expect(r.problems.every((p) => p.file === broken && p.fix)).toBe(true);
  });

  it('import → export → import keeps every understood setting (the exported pair is read as one chain)', async () => {
    const src = path.join(dir, 'src');
    await cp(FIXTURES, src, { recursive: true });
    await mkdir(path.join(src, 'mqtt-keytab'));
    await writeFile(path.join(src, 'mqtt-keytab', 'krb5.keytab'), KEYTAB);
    const first = await read(path.join(src, 'chain.yaml'));
    expect(first.problems).toEqual([]);
    const m = model({ imported: { format: 'azure', file: path.join(src, 'chain.yaml'), setup: first.setup } });
    const { files } = azureTarget.generate(m, true);
    expect(files.map((f) => f.path)).not.toContain('azure/client-passwords.txt'); // the user's own database: no made-up client
    const out = path.join(dir, 'out');
    for (const f of files) {
      await mkdir(path.dirname(path.join(out, f.path)), { recursive: true });
      await writeFile(path.join(out, f.path), f.binary ? Buffer.from(f.binary, 'base64') : f.text);
    }
    const again = await read(path.join(out, 'azure/broker-authentication.yaml'));
    expect(again.files).toEqual([path.join(out, 'azure/broker-authentication.yaml'), path.join(out, 'azure/broker-listener.yaml')]);
    expect(again.problems).toEqual([]);
    const pairs = (r: typeof first) => r.understood.map((u) => `${u.key} = ${u.value}`);
    expect(pairs(again).sort()).toEqual(pairs(first).sort());
    expect(await readFile(path.join(out, 'azure/clients.toml'), 'utf8')).toBe(await readFile(path.join(src, 'credentials/passwords.toml'), 'utf8'));
    expect(azureTarget.generate(m, false).files.find((f) => f.path === 'azure/clients.toml')!.text).toContain('password = "<redacted: --reveal-secrets>"');
  });
});
