/**
 * The MQTT.js client: a TypeScript program on `mqtt` (MQTT.js 5) and `kerberos` (MIT GSSAPI) doing
 * EMQX's GSSAPI-KERBEROS enhanced authentication and re-authentication. Proven by compiling it
 * with the bench's own TypeScript (strict) and running it against the bench's broker with the
 * realm's ticket: it must connect, re-authenticate once and exit 0.
 */
import { runProof } from '../proof';
import { constants } from 'node:fs';
import { access, symlink } from 'node:fs/promises';
import path from 'node:path';
import type { ExportFile, ExportProof } from '../../api/export';
import { profileEnv } from '../../gss/profiles';
import { runTool } from '../../system/exec';
import { packageRoot } from '../../system/paths';
import { settledExchange } from '../../broker/settled';
import { describeExchange, withEmqxBroker } from '../emqx/broker-run';
import { mqttjsClientSource, mqttjsPackageJson, mqttjsTsconfig } from '../emqx/mqttjs-program';
import { checkEmqxPrincipal } from '../emqx/principal';
import type { ExportModel, ExportTarget, GeneratedExport, ProofContext } from '../types';
import { emqxPrincipal } from './emqx';

const DIR = 'mqttjs';
const TSC_TIMEOUT_MS = 120_000;
const RUN_TIMEOUT_MS = 45_000;

/** The GSS service the client asks a ticket for: mqtt@ the host of the broker's principal. */
function serviceOf(model: ExportModel): string {
  const checked = checkEmqxPrincipal(emqxPrincipal(model));
  return checked.host ? `mqtt@${checked.host}` : `mqtt@${model.mqtt.host}`;
}

function file(name: string, language: ExportFile['language'], text: string, purpose: string): ExportFile {
  return { path: `${DIR}/${name}`, language, text, mode: 0o644, purpose, redacted: false };
}

function generate(model: ExportModel): GeneratedExport {
  const service = serviceOf(model);
  const settings = { url: model.mqtt.url, service, basis: model.basis };
  return {
    files: [
      file('client.ts', 'typescript', mqttjsClientSource(settings), 'the client: connect with GSSAPI-KERBEROS, re-authenticate on demand (--reauth, or kill -USR2 with --stay)'),
      file('package.json', 'json', mqttjsPackageJson(), 'its dependencies: mqtt (MQTT.js 5) and kerberos (the MIT GSSAPI binding: npm builds it, needs libkrb5-dev python3 make g++)'),
      file('tsconfig.json', 'json', mqttjsTsconfig(), 'strict TypeScript, compiled to dist/'),
    ],
    notes: [
      `Build: cd ${DIR} && npm install && npx tsc -p . (the kerberos package compiles against MIT Kerberos: sudo apt-get install -y libkrb5-dev python3 make g++).`,
      `Run: kinit ${model.client.principal}, then node dist/client.js --reauth (MQTT_URL=${model.mqtt.url}, MQTT_SERVICE=${service} by default).`,
      'The broker must speak EMQX\'s GSSAPI-KERBEROS (EMQX 5 with the Kerberos authenticator, or the bench\'s broker); the client needs a ticket-granting ticket in its ccache (KRB5CCNAME).',
    ],
  };
}


/** The program resolves mqtt, kerberos and @types/node from the bench's own node_modules. */
async function linkModules(dir: string): Promise<string> {
  const modules = path.join(packageRoot().replace(/\.asar$/, '.asar.unpacked'), 'node_modules');
  await access(path.join(modules, 'mqtt'), constants.R_OK).catch(() => {
    throw new Error(`the bench's node_modules (${modules}) has no mqtt: the program cannot be built here`);
  });
  await symlink(modules, path.join(dir, 'node_modules'), 'dir').catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
  return modules;
}

/** Electron runs as Node with ELECTRON_RUN_AS_NODE; plain Node ignores it. */
function nodeEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, ELECTRON_RUN_AS_NODE: '1', ...extra };
}

async function compile(context: ProofContext): Promise<ExportProof> {
  return runProof('TypeScript compiles (tsc, strict)', async () => {
    const dir = path.join(context.dir, DIR);
    const modules = await linkModules(dir);
    const tsc = path.join(modules, 'typescript', 'bin', 'tsc');
    if (!(await access(tsc).then(() => true, () => false))) return { ok: false, detail: `no TypeScript compiler at ${tsc}: the proof needs the bench's development install (npm install)` };
    const run = await runTool(process.execPath, [tsc, '-p', path.join(dir, 'tsconfig.json')], { env: nodeEnv(), timeoutMs: TSC_TIMEOUT_MS });
    if (!run.ok) return { ok: false, detail: `tsc -p ${DIR}/tsconfig.json: ${(run.stdout.trim() || run.stderr.trim() || run.error) ?? `exit code ${run.code}`}` };
    const version = await runTool(process.execPath, [tsc, '--version'], { env: nodeEnv() });
    return { ok: true, detail: `${version.stdout.trim() || 'tsc'}: ${DIR}/client.ts compiled (strict) to ${DIR}/dist/client.js against mqtt and kerberos from the bench's node_modules` };
  });
}

async function authenticate(context: ProofContext, compiled: boolean): Promise<ExportProof> {
  return runProof('connects, re-authenticates and exits 0 against the bench broker', async () => {
    if (!compiled) return { ok: false, detail: 'not run: the program did not compile' };
    const principal = emqxPrincipal(context.model);
    const keytabFile = context.model.mqtt.principal === principal ? context.model.mqtt.keytabFile?.replace(/^(FILE|WRFILE):/, '') : undefined;
    if (!keytabFile) return { ok: false, detail: `no service keytab holding ${principal} to run the broker with` };
    const settings = { gss: context.supervisor(), profile: context.profile, principal, keytabFile, slot: 'export-mqttjs-broker' };
    return withEmqxBroker(settings, async (url, broker) => {
      const clientId = `kbench-mqttjs-${process.pid}-${Date.now().toString(36)}`;
      const program = path.join(context.dir, DIR, 'dist', 'client.js');
      const env = nodeEnv({ ...profileEnv(context.profile), MQTT_URL: url, MQTT_CLIENT_ID: clientId, ELECTRON_RUN_AS_NODE: '1' });
      const run = await runTool(process.execPath, [program, '--reauth'], { env, timeoutMs: RUN_TIMEOUT_MS });
      const exchange = await settledExchange(broker, clientId, 2000);
      const said = [run.stdout.trim(), run.stderr.trim()].filter(Boolean).join(' / ');
      const reauthenticated = /re-authenticated 1 time/.test(exchange?.verdict.reason ?? '');
      const ok = run.ok && exchange?.verdict.outcome === 'success' && reauthenticated;
      const how = `node ${DIR}/dist/client.js --reauth (MQTT_URL=${url}, KRB5CCNAME=${context.profile.ccache ?? 'default'})`;
      if (ok) return { ok, detail: `${how}: exit 0 — ${said}; the broker: ${describeExchange(exchange)}` };
      return { ok: false, detail: `${how}: ${run.error ?? `exit code ${run.code}`} — ${said || 'no output'}; the broker: ${describeExchange(exchange)}` };
    });
  });
}

export const mqttjsTarget: ExportTarget = {
  info: {
    id: 'mqttjs',
    title: 'MQTT.js client (TypeScript)',
    summary: "A TypeScript MQTT.js 5 + kerberos program doing EMQX's GSSAPI-KERBEROS enhanced authentication and re-authentication.",
    proofs: ["compiled by the bench's TypeScript (strict)", 'connects and re-authenticates against the bench broker with the realm ticket'],
  },
  generate,
  async prove(context) {
    const compiled = await compile(context);
    return [compiled, await authenticate(context, compiled.ok)];
  },
};
