/**
 * Importer for Azure IoT MQ chain files (../azure/read.ts). "Test my config": the chain as the
 * bench runs it (main/broker/chain/try-connection.ts) on a throwaway listener — a GSSAPI-KERBEROS
 * client with the lab's ticket and, when the password database is there, a usernamePassword
 * client — each reported with the chain's verdict trace. Against the lab, the lab's
 * mqtt/localhost and its keytab stand in for the YAML's own Kerberos principal.
 */
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import type { ChainDocument, ChainTestInput, ChainTestResult } from '../../api/chain';
import type { ImportTestStep } from '../../api/export';
import { parseChainYaml } from '../../broker/chain/azure-yaml';
import { stringifyChainDocument } from '../../broker/chain/azure-yaml-write';
import { KERBEROS_AUTHENTICATION_METHOD } from '../../broker/chain/methods/kerberos';
import { KEYS, resolveChainFile, satKeysName } from '../../broker/chain/resolve';
import { tryChainConnection } from '../../broker/chain/try-connection';
import type { Exchange } from '../../exchange/model';
import { isFile, readChainFiles, readText } from '../azure/layout';
import { verdictText } from '../azure/prove';
import { detectAzure, readAzure } from '../azure/read';
import type { Importer, ImportReading, TestContext } from '../types';

export const azureImporter: Importer = {
  format: 'azure',
  detect: (source) => detectAzure(source.text),
  read: async (source) => readAzure(source),
  test: (reading, context) => testChain(reading, context),
};

interface Prepared {
  chainFile: string;
  document: ChainDocument;
  passwords?: { username: string; password?: string };
  standIn?: string;
}

async function testChain(reading: ImportReading, context: TestContext): Promise<{ steps: ImportTestStep[]; against: string; exchange?: Exchange }> {
  const file = reading.setup.chainFile;
  const lab = context.labStatus;
  const against = lab ? `lab realm ${lab.realm}` : reading.setup.realm ? `realm ${reading.setup.realm}` : 'your configuration';
  if (!file) return { against, steps: [{ name: 'chain file on disk', ok: false, detail: 'a dropped file cannot be run: its secrets are not beside it. Import it from its place on disk' }] };
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-azure-test-'));
  try {
    const prepared = await prepare(file, dir, lab !== undefined);
    if (typeof prepared === 'string') return { against, steps: [{ name: 'chain read', ok: false, detail: prepared }] };
    const loaded = await resolveChainFile(prepared.chainFile);
    const methods = prepared.document.authentications.map((a) => `${a.name}: ${a.authenticationMethods.map((m) => Object.keys(m)[0]).join(' → ')}`).join('; ');
    const steps: ImportTestStep[] = [
      { name: 'chain loaded by the bench', ok: loaded.problems.length === 0, detail: loaded.problems.length ? loaded.problems.map((p) => `${p.path}: ${p.message}`).join('\n') : `${methods}${prepared.standIn ? `; ${prepared.standIn}` : ''}` },
    ];
    if (!steps[0]!.ok) return { against, steps };
    const tryContext = { dataDir: context.engine.dataDir, gss: context.supervisor(), lab: context.lab };
    let exchange: Exchange | undefined;
    const connect = async (name: string, input: Omit<ChainTestInput, 'file'>, judge: (r: ChainTestResult) => boolean) => {
      const started = Date.now();
      try {
        const result = await tryChainConnection({ file: prepared.chainFile, ...input }, tryContext);
        exchange = result.exchange;
        steps.push({ name, ok: judge(result), detail: verdictText(result), ms: Date.now() - started });
      } catch (error) {
        steps.push({ name, ok: false, detail: (error as Error).message, ms: Date.now() - started });
      }
    };
    const hasKerberos = prepared.document.authentications.some((a) => a.authenticationMethods.some((m) => 'kerberos' in m));
    if (hasKerberos && lab) await connect(`GSSAPI-KERBEROS client (alice@${lab.realm})`, { method: KERBEROS_AUTHENTICATION_METHOD }, (r) => r.allowed && r.exchange.verdict.outcome === 'success');
    const pw = prepared.passwords;
    if (pw?.password !== undefined) await connect(`usernamePassword client ${pw.username}`, { username: pw.username, password: pw.password }, (r) => r.allowed);
    else if (pw) {
      // The hash cannot be reversed: without the password, the chain can still say the user is known.
      await connect(`usernamePassword client ${pw.username} (no password known)`, { username: pw.username }, (r) => r.trace.some((t) => t.method === 'usernamePassword' && /no password in the CONNECT/.test(t.why)));
    }
    return { against, steps, ...(exchange ? { exchange } : {}) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The chain in the loader's layout under `dir`: one YAML, a directory per secret; the lab's key stands in for the YAML's own. */
async function prepare(file: string, dir: string, againstLab: boolean): Promise<Prepared | string> {
  const text = readText(file);
  if (text === undefined) return `cannot read ${file}`;
  const files = readChainFiles(file, text, true);
  const parsed = parseChainYaml(files.text, file);
  if (!parsed.document) return parsed.problems.map((p) => `${files.where(p.line).file}:${files.where(p.line).line} ${p.path}: ${p.message}`).join('\n');
  const document: ChainDocument = { ...parsed.document, file: path.join(dir, 'chain.yaml') };
  let standIn: string | undefined;
  if (againstLab) {
    document.authentications = document.authentications.map((a) => ({
      ...a,
      authenticationMethods: a.authenticationMethods.map((m) => {
        if (!('kerberos' in m) || m.kerberos.principal === undefined) return m;
        standIn = `the lab's mqtt/localhost and its keytab stand in for ${m.kerberos.principal}`;
        return { kerberos: {} };
      }),
    }));
  }
  await writeFile(document.file, stringifyChainDocument(document), { mode: 0o600 });
  let passwords: Prepared['passwords'];
  for (const { name, key } of namedResources(document)) {
    const from = key === KEYS.passwords ? files.resourceFile(name, key) : path.join(path.dirname(file), name);
    if (key === KEYS.passwords) {
      if (!isFile(from)) continue;
      await mkdir(path.join(dir, name), { recursive: true });
      await cp(from, path.join(dir, name, key));
      passwords ??= firstUser(from);
    } else {
      await cp(from, path.join(dir, name), { recursive: true }).catch(() => undefined); // missing: the loader names it
    }
  }
  return { chainFile: document.file, document, ...(passwords ? { passwords } : {}), ...(standIn ? { standIn } : {}) };
}

function namedResources(doc: ChainDocument): { name: string; key?: string }[] {
  const out: { name: string; key?: string }[] = [];
  for (const a of doc.authentications) {
    for (const m of a.authenticationMethods) {
      if ('usernamePassword' in m) out.push({ name: m.usernamePassword.secretName, key: KEYS.passwords });
      else if ('x509' in m) out.push({ name: m.x509.trustedClientCaCert }, ...(m.x509.attributes ? [{ name: m.x509.attributes.secretName }] : []));
      else if ('custom' in m) out.push(...(m.custom.caCert ? [{ name: m.custom.caCert }] : []), ...(m.custom.auth ? [{ name: m.custom.auth.x509.secretName }] : []));
      else if ('kerberos' in m && m.kerberos.keytabSecretName) out.push({ name: m.kerberos.keytabSecretName });
      else if ('sat' in m) out.push({ name: satKeysName(a.name) });
    }
  }
  return out;
}

/** The first user of the password database, and its password when an Azure export's client-passwords.txt is beside it. */
function firstUser(passwordsFile: string): { username: string; password?: string } | undefined {
  try {
    const username = Object.keys(parseToml(readText(passwordsFile) ?? '') as Record<string, unknown>)[0];
    if (!username) return undefined;
    const known = readText(path.join(path.dirname(passwordsFile), 'client-passwords.txt'))
      ?.split('\n')
      .map((l) => l.split(' '))
      .find(([user, pw]) => user === username && pw && !pw.startsWith('<'));
    return { username, ...(known ? { password: known[1]! } : {}) };
  } catch {
    return undefined;
  }
}
