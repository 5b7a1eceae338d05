/**
 * EMQX 5 (emqx_auth_kerberos, MQTT 5 "GSSAPI-KERBEROS"): the authentication block in HOCON, the
 * node's krb5.conf (default_keytab_name: EMQX reads no other keytab), the keytab, and a README
 * with the packages and dashboard steps. Proven by the reference HOCON parser, by MIT naming the
 * default keytab and the KDC's kvno, and by the bench's broker running the same settings.
 */
import { runProof, type Outcome } from '../proof';
import path from 'node:path';
import type { ExportFile, ExportProof } from '../../api/export';
import { authenticateAgainstEmqxSettings } from '../emqx/broker-run';
import { authenticationConf, EMQX_KEYTAB_PATH, emqxKrb5Conf, emqxReadme, emqxSteps } from '../emqx/files';
import { defaultKeytabName, kdcKvno, keytabKeys } from '../emqx/keytab-check';
import { checkEmqxPrincipal } from '../emqx/principal';
import { parseHoconWithJava } from '../hocon';
import type { ExportModel, ExportTarget, GeneratedExport, ProofContext } from '../types';

export const EMQX_FILES = { authentication: 'emqx/authentication.conf', krb5: 'emqx/krb5.conf', keytab: 'emqx/mqtt.keytab', readme: 'emqx/README.md' } as const;

/** The imported authenticator's principal wins (import → export keeps it), else the model's mqtt service. */
export function emqxPrincipal(model: ExportModel): string {
  return model.imported?.setup.broker?.principal ?? model.mqtt.principal;
}

function keytabFile(model: ExportModel, principal: string, reveal: boolean): ExportFile {
  const bytes = model.mqtt.principal === principal ? model.mqtt.keytab : undefined;
  const lab = model.labRealm ? ` (lab: kbench lab export-keytab mqtt.keytab --principal ${principal})` : '';
  const make = `kadmin -q "ktadd -k ${EMQX_KEYTAB_PATH} ${principal}"${lab}`;
  const base = { path: EMQX_FILES.keytab, language: 'binary' as const, text: '', mode: 0o600 };
  const forPath = `the key of ${principal} for ${EMQX_KEYTAB_PATH}`;
  if (!bytes) {
    const add = model.labRealm ? `: add it to the lab (kbench lab principal add ${principal.replace(/@[^@]*$/, '')} --random --realm ${model.labRealm}) and export again` : '';
    return { ...base, purpose: `${forPath}: make it with ${make}`, redacted: false, withheld: `the bench has no key of ${principal} (no service keytab it knows holds it)${add}` };
  }
  if (!reveal) {
    return { ...base, purpose: `${forPath}: export again with --reveal-secrets, or make it with ${make}`, redacted: true, withheld: `holds the service key of ${principal}: pass --reveal-secrets` };
  }
  const purpose = `the key of ${principal}: copy to ${EMQX_KEYTAB_PATH} on each EMQX node (EMQX's default keytab), mode 0600, owned by the emqx user`;
  return { ...base, binary: Buffer.from(bytes).toString('base64'), purpose, redacted: false };
}

function textFile(path: string, language: ExportFile['language'], text: string, purpose: string): ExportFile {
  return { path, language, text, mode: 0o644, purpose, redacted: false };
}

function generate(model: ExportModel, revealSecrets: boolean): GeneratedExport {
  const principal = emqxPrincipal(model);
  const checked = checkEmqxPrincipal(principal);
  const realm = checked.realm ?? model.realm;
  const keytab = keytabFile(model, principal, revealSecrets);
  const files: ExportFile[] = [
    textFile(EMQX_FILES.authentication, 'hocon', authenticationConf(principal, model.basis), 'the authenticator for etc/emqx.conf (or create it in the dashboard)'),
    textFile(EMQX_FILES.krb5, 'krb5', emqxKrb5Conf(model, realm), `/etc/krb5.conf on the EMQX node: the realm, its KDCs, and default_keytab_name = FILE:${EMQX_KEYTAB_PATH}`),
    keytab,
    textFile(EMQX_FILES.readme, 'markdown', emqxReadme(principal, model.basis, Boolean(keytab.withheld)), 'packages, where the keytab goes, KRB5_KTNAME, the dashboard steps'),
  ];
  const steps = emqxSteps(principal);
  const notes = [
    ...checked.issues.map((i) => `${i.severity === 'error' ? 'EMQX refuses this export' : 'Note'}: ${i.message} — ${i.fix}`),
    ...(realm !== model.realm ? [`The principal's realm ${realm} is not the exported realm ${model.realm}: krb5.conf needs a [realms] entry for ${realm}.`] : []),
    `Packages: ${steps.packages.join('; ')}.`,
    ...steps.keytab,
    `Dashboard: ${steps.dashboard.join(' ')}`,
  ];
  return { files, notes };
}


async function proveHocon(context: ProofContext, principal: string): Promise<ExportProof> {
  let name = 'HOCON parsed by com.typesafe.config';
  const result = await runProof(name, async () => {
    const parsed = await parseHoconWithJava(path.join(context.dir, EMQX_FILES.authentication));
    name = `HOCON parsed by ${parsed.parser}`;
    if (!parsed.ok) return { ok: false, detail: `${EMQX_FILES.authentication}:${parsed.line}: ${parsed.message} — the block is not valid HOCON` };
    const value = (key: string) => parsed.entries.find((e) => e.path === `authentication[0].${key}`)?.value;
    const wanted: [string, unknown][] = [['mechanism', 'gssapi'], ['backend', 'kerberos'], ['principal', principal], ['enable', true]];
    const wrong = wanted.filter(([key, want]) => value(key) !== want).map(([key, want]) => `${key} is ${JSON.stringify(value(key))}, not ${JSON.stringify(want)}`);
    const refused = checkEmqxPrincipal(principal).issues.filter((i) => i.severity === 'error').map((i) => `${i.message} — ${i.fix}`);
    const problems = [...wrong, ...refused];
    if (problems.length) return { ok: false, detail: problems.join('; ') };
    return { ok: true, detail: `${parsed.entries.length} values read back: authentication[0] mechanism = gssapi, backend = kerberos, principal = "${principal}", enable = true; EMQX's principal check passes` };
  });
  return { ...result, name };
}

/** The exported file MIT takes as the default keytab through the exported krb5.conf (EMQX reads that one only). */
async function defaultKeytabFile(context: ProofContext): Promise<{ file: ExportFile; name: string } | Outcome> {
  const named = await defaultKeytabName(path.join(context.dir, EMQX_FILES.krb5));
  if ('error' in named) return { ok: false, detail: named.error };
  const file = context.files.find((f) => path.basename(f.path) === path.basename(named.name.replace(/^(FILE|WRFILE):/, '')));
  if (!file) {
    return { ok: false, detail: `MIT reads the default keytab ${named.name} from ${EMQX_FILES.krb5}, but the export has no file of that name: set default_keytab_name to ${EMQX_KEYTAB_PATH}` };
  }
  if (file.withheld) return { ok: false, detail: `${file.path}: ${file.withheld}` };
  return { file, name: named.name };
}

async function proveDefaultKeytab(context: ProofContext, principal: string): Promise<ExportProof> {
  return runProof('principal in the default keytab', async () => {
    const found = await defaultKeytabFile(context);
    if ('detail' in found) return found;
    const keys = await keytabKeys(path.join(context.dir, found.file.path), principal);
    if ('error' in keys) return { ok: false, detail: keys.error };
    const where = `${found.file.path} (EMQX's default keytab ${found.name})`;
    if (!keys.kvnos.length) return { ok: false, detail: `${where} holds no key of ${principal}: add it (kadmin ktadd -k ${EMQX_KEYTAB_PATH} ${principal})` };
    const held = `${where} holds ${principal} kvno ${keys.kvnos.join(', ')} (${keys.enctypes.join(', ')})`;
    const kdc = await kdcKvno(principal, path.join(context.dir, EMQX_FILES.krb5), context.model.client);
    if ('error' in kdc) return { ok: false, detail: `${held}, but the KDC's kvno could not be asked through ${EMQX_FILES.krb5}: ${kdc.error}` };
    if (!keys.kvnos.includes(kdc.kvno)) {
      return { ok: false, detail: `${held}, but the KDC issues tickets with kvno ${kdc.kvno}: the keytab is out of date — export it again (ktadd) after the key change` };
    }
    return { ok: true, detail: `${held}; the KDC issues kvno ${kdc.kvno} (MIT kvno through ${EMQX_FILES.krb5}, with ${kdc.how})` };
  });
}

async function proveBroker(context: ProofContext, principal: string): Promise<ExportProof> {
  return runProof('broker runs the settings as EMQX reads them', async () => {
    const keytab = context.files.find((f) => f.path === EMQX_FILES.keytab);
    if (!keytab || keytab.withheld) return { ok: false, detail: `no keytab to run with: ${keytab?.withheld ?? 'missing'}` };
    const run = await authenticateAgainstEmqxSettings({
      gss: context.supervisor(),
      profile: context.profile,
      principal,
      keytabFile: path.join(context.dir, EMQX_FILES.keytab),
      krb5Config: path.join(context.dir, EMQX_FILES.krb5),
      slot: 'export-emqx-broker',
    });
    const how = `GSSAPI-KERBEROS listener with principal ${principal}, KRB5_KTNAME=${EMQX_FILES.keytab}, KRB5_CONFIG=${EMQX_FILES.krb5}`;
    return { ok: run.ok, detail: run.ok ? `${how}: ${run.detail}` : `${how}: ${run.detail} — check the principal's host and the keytab's key` };
  });
}

export const emqxTarget: ExportTarget = {
  info: {
    id: 'emqx',
    title: 'EMQX (GSSAPI-KERBEROS)',
    summary: "EMQX 5's Kerberos authenticator in HOCON, the node's krb5.conf and keytab (EMQX reads only the default keytab), packages and dashboard steps.",
    proofs: ['HOCON parsed by com.typesafe.config', 'principal in the default keytab (MIT klist -k, kvno)', "bench broker authenticates a client with EMQX's settings"],
  },
  generate,
  async prove(context) {
    const principal = emqxPrincipal(context.model);
    const hocon = await proveHocon(context, principal);
    const keytab = await proveDefaultKeytab(context, principal);
    const broker = context.signal.aborted ? { name: 'broker runs the settings as EMQX reads them', ok: false, detail: 'cancelled' } : await proveBroker(context, principal);
    return [hocon, keytab, broker];
  },
};
