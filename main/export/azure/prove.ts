/**
 * Proofs of the Azure export on the bench's own chain: the YAML read back by the chain loader, the
 * TOML by smol-toml and the chain's password-database reader, apply.sh by `sh -n`; then the files
 * laid out as the chain loader reads them (chain.yaml, SECRET/passwords.toml, SECRET/krb5.keytab …)
 * and one MQTT 5 connection per client kind through the chain on a throwaway listener
 * (main/broker/chain/try-connection.ts): a usernamePassword client with its password and a
 * GSSAPI-KERBEROS client with the lab's ticket.
 */
import { runProof, type Outcome } from '../proof';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import type { ChainTestResult } from '../../api/chain';
import type { ExportProof } from '../../api/export';
import { parseChainYaml } from '../../broker/chain/azure-yaml';
import { parsePasswordsToml } from '../../broker/chain/methods/username-password';
import { KERBEROS_AUTHENTICATION_METHOD } from '../../broker/chain/methods/kerberos';
import { KEYS, resolveChainFile } from '../../broker/chain/resolve';
import { tryChainConnection } from '../../broker/chain/try-connection';
import { runTool } from '../../system/exec';
import type { ProofContext } from '../types';
import { FILES, passwordSecret } from './files';
import { azureSource } from './source';

export async function proveAzure(context: ProofContext): Promise<ExportProof[]> {
  const at = (file: string) => path.join(context.dir, file);
  const proofs: ExportProof[] = [];
  const source = context.model.sources?.azure ?? azureSource(context.model);
  if (source.problems.length) {
    const detail = source.problems.map((p) => `${p.file}:${p.line} ${p.path}: ${p.message}`).join('\n');
    proofs.push({ name: 'chain file read by the bench Azure loader', ok: false, detail: `${detail}\n(the files are a chain made for the realm instead)` });
  }
  const yamlText = `${await readFile(at(FILES.listener), 'utf8')}---\n${await readFile(at(FILES.authentication), 'utf8')}`;
  proofs.push(await runProof('YAML read back by the bench Azure loader', () => yamlProof(yamlText)));
  const secret = passwordSecret(source);
  if (secret) proofs.push(await runProof('TOML parsed by smol-toml', () => tomlProof(at(FILES.clients))));
  proofs.push(await runProof('apply.sh checked by sh -n', () => shellProof(at(FILES.apply))));
  if (proofs.some((p) => !p.ok && p.name !== 'chain file read by the bench Azure loader')) return proofs;
  const chainFile = await layOut(context, yamlText, secret);
  const loaded = await resolveChainFile(chainFile);
  const methods = loaded.document?.authentications.map((a) => a.authenticationMethods.map((m) => Object.keys(m)[0]).join(' → ')).join('; ');
  proofs.push({ name: 'chain loaded by the bench', ok: loaded.problems.length === 0, detail: loaded.problems.length ? loaded.problems.map((p) => `${p.path}: ${p.message}`).join('\n') : `methods in order: ${methods}` });
  if (!proofs.at(-1)!.ok) return proofs;
  const tryContext = { dataDir: context.engine.dataDir, gss: context.supervisor(), lab: context.lab };
  const client = await passwordOf(at(FILES.passwords));
  if (secret && client) {
    proofs.push(await connectionProof('usernamePassword client authenticated through the chain', () => tryChainConnection({ file: chainFile, username: client.username, password: client.password }, tryContext)));
  }
  const principals = source.document.authentications.flatMap((a) => a.authenticationMethods.flatMap((m) => ('kerberos' in m ? [m.kerberos.principal] : [])));
  const lab = context.model.labRealm;
  const name = 'GSSAPI-KERBEROS client authenticated through the chain (lab ticket)';
  // The chain test's Kerberos client holds the lab's tickets for mqtt/localhost only.
  const foreign = principals.find((p) => p !== `mqtt/localhost@${lab}`);
  if (principals.length && lab && foreign) proofs.push({ name, ok: false, detail: `not run: the chain's principal ${foreign} is not the lab's mqtt/localhost@${lab}, the only service the lab's client has tickets for` });
  else if (principals.length && lab) proofs.push(await connectionProof(name, () => tryChainConnection({ file: chainFile, method: KERBEROS_AUTHENTICATION_METHOD }, tryContext)));
  return proofs;
}

function yamlProof(text: string): Outcome {
  const parsed = parseChainYaml(text, 'broker-listener.yaml + broker-authentication.yaml');
  if (!parsed.document) return { ok: false, detail: parsed.problems.map((p) => `line ${p.line} ${p.path}: ${p.message}`).join('\n') };
  const { listeners, authentications } = parsed.document;
  return { ok: true, detail: `${listeners.length} BrokerListener, ${authentications.length} BrokerAuthentication (${authentications.map((a) => a.authenticationMethods.length).join(', ')} methods); no problems` };
}

async function tomlProof(file: string): Promise<Outcome> {
  const text = await readFile(file, 'utf8');
  try {
    parseToml(text);
    const users = parsePasswordsToml(text, 'clients.toml');
    return { ok: true, detail: `${users.size} client(s): ${[...users.keys()].join(', ')}; the chain's password database reader accepts every hash` };
  } catch (error) {
    return { ok: false, detail: (error as Error).message };
  }
}

async function shellProof(file: string): Promise<Outcome> {
  const run = await runTool('/bin/sh', ['-n', file]);
  return run.ok ? { ok: true, detail: 'no syntax errors' } : { ok: false, detail: run.stderr.trim() || run.error || `exit status ${run.code}` };
}

/** The export's files where the chain loader looks for them: one YAML and a directory per secret. */
async function layOut(context: ProofContext, yamlText: string, secret: string | undefined): Promise<string> {
  const root = path.join(context.dir, '.chain-proof');
  await mkdir(root, { recursive: true, mode: 0o700 });
  const chainFile = path.join(root, 'chain.yaml');
  await writeFile(chainFile, yamlText, { mode: 0o600 });
  if (secret) {
    await mkdir(path.join(root, secret), { recursive: true });
    await copyFile(path.join(context.dir, FILES.clients), path.join(root, secret, KEYS.passwords));
  }
  for (const file of context.files) {
    const rel = file.path.replace(/^azure\//, '');
    if (!rel.includes('/') || file.withheld) continue;
    await mkdir(path.join(root, path.dirname(rel)), { recursive: true });
    await copyFile(path.join(context.dir, file.path), path.join(root, rel));
  }
  return chainFile;
}

async function passwordOf(file: string): Promise<{ username: string; password: string } | undefined> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  const line = text?.split('\n').find((l) => l.trim() && !l.startsWith('#'));
  const [username, password] = line?.split(' ') ?? [];
  return username && password ? { username, password } : undefined;
}

function connectionProof(name: string, connect: () => Promise<ChainTestResult>): Promise<ExportProof> {
  return runProof(name, async () => {
    const result = await connect();
    return { ok: result.allowed && result.exchange.verdict.outcome === 'success', detail: verdictText(result) };
  });
}

/** The chain's verdict and trace, and the broker's own outcome (the GSSAPI conversation comes after the chain). */
export function verdictText(r: ChainTestResult): string {
  const trace = r.trace.map((t) => `${t.method}: ${t.why}`).join('; ');
  const broker = r.exchange.verdict;
  return `${r.allowed ? 'allowed' : 'refused'}: ${r.reason}${trace ? `; trace: ${trace}` : ''}; broker: ${broker.outcome}${broker.reason ? ` (${broker.reason})` : ''}`;
}

