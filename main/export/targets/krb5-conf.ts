/**
 * krb5.conf for MIT clients and servers of the realm (../krb5/write.ts), proven by reading it back
 * with the bench's profile reader and by MIT itself: kinit with the client keytab, klist for the
 * TGT, kvno for the MQTT service — with KRB5_CONFIG = the exported file.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ExportProof } from '../../api/export';
import { mitLogin } from '../krb5/mit';
import { readKrb5Conf } from '../krb5/read';
import { krb5ConfText, LAB_EXPORT_KEYTAB, readmeText, type RealmBlock } from '../krb5/write';
import type { ExportModel, ExportTarget, GeneratedExport, ProofContext } from '../types';

export const krb5Target: ExportTarget = {
  info: {
    id: 'krb5',
    title: 'krb5.conf (MIT clients and servers)',
    summary: 'A krb5.conf for the realm: its KDCs and admin server, the service keytab, enctypes and host-name settings as they worked on the bench.',
    proofs: ['read back by the bench profile parser', 'kinit with the client keytab', 'kvno for the service'],
  },
  generate(model) {
    return generateKrb5(model);
  },
  async prove(context) {
    return proveKrb5(context);
  },
};

export function generateKrb5(model: ExportModel): GeneratedExport {
  const text = krb5ConfText(model, { imported: importedRealms(model), comments: true });
  const notes = ['Copy krb5.conf to /etc/krb5.conf, or set KRB5_CONFIG to its path for the programs that should use it.'];
  if (!model.adminServer) notes.push('No admin server is known for the realm: add admin_server to [realms] if you run kadmind.');
  if (model.mqtt.keytabFile && !model.libdefaults.default_keytab_name) {
    const where = model.labRealm ? `${LAB_EXPORT_KEYTAB.slice('FILE:'.length)} (MIT's default); the lab's keys are in ${model.mqtt.keytabFile}` : `${model.mqtt.keytabFile}, the bench's copy`;
    notes.push(`default_keytab_name is ${where}: change it to where the service keytab lives on your server.`);
  }
  return {
    files: [
      { path: 'krb5.conf', language: 'krb5', text, mode: 0o644, purpose: 'The MIT profile: /etc/krb5.conf on every client and server, or KRB5_CONFIG', redacted: false },
      { path: 'README.md', language: 'markdown', text: readmeText(model), mode: 0o644, purpose: 'Where krb5.conf goes and how to check it', redacted: false },
    ],
    notes,
  };
}

/** The realm blocks of an imported krb5.conf (other realms, primary_kdc, kpasswd_server …), as the importer read them. */
function importedRealms(model: ExportModel): RealmBlock[] {
  return model.imported?.format === 'krb5' ? (model.imported.setup.realms ?? []) : [];
}

async function proveKrb5(context: ProofContext): Promise<ExportProof[]> {
  const { model } = context;
  const file = path.join(context.dir, 'krb5.conf');
  const proofs: ExportProof[] = [readBack(file, model)];
  const client = model.client;
  if (!client.keytabFile) {
    proofs.push({ name: 'kinit with the client keytab', ok: false, detail: `not run: no client keytab for ${client.principal} (give one with the profile's client keytab)` });
    return proofs;
  }
  const steps = await mitLogin({ krb5Config: file, realm: model.realm, client: client.principal, clientKeytab: client.keytabFile, service: model.mqtt.principal });
  const [kinit, klist, kvno] = steps;
  const ms = (kinit?.ms ?? 0) + (klist?.ms ?? 0);
  proofs.push({
    name: 'kinit with the client keytab',
    ok: Boolean(kinit?.ok && klist?.ok),
    detail: [kinit, klist].filter((s) => s !== undefined).map((s) => `${s.name}: ${s.detail}`).join('\n'),
    ms,
  });
  proofs.push(
    kvno
      ? { name: 'kvno for the service', ok: kvno.ok, detail: `${kvno.name}: ${kvno.detail}`, ms: kvno.ms }
      : { name: 'kvno for the service', ok: false, detail: `not run: kinit did not get a TGT with KRB5_CONFIG=${file}` },
  );
  return proofs;
}

function readBack(file: string, model: ExportModel): ExportProof {
  const started = Date.now();
  try {
    const reading = readKrb5Conf({ file, text: readFileSync(file, 'utf8'), onDisk: true });
    const errors = reading.problems.map((p) => `line ${p.line}: ${p.message}`);
    const realm = reading.setup.realm;
    const kdcs = reading.setup.kdcs ?? [];
    if (realm !== model.realm) errors.push(`default_realm reads back as ${realm ?? 'nothing'}, not ${model.realm}`);
    if (kdcs.join(' ') !== model.kdcs.join(' ')) errors.push(`the KDCs read back as ${kdcs.join(', ') || 'none'}, not ${model.kdcs.join(', ')}`);
    const ok = errors.length === 0;
    return {
      name: 'read back by the bench profile parser',
      ok,
      detail: ok ? `${reading.understood.length} settings understood: default_realm ${realm}, kdc ${kdcs.join(', ')}; no problems` : errors.join('\n'),
      ms: Date.now() - started,
    };
  } catch (error) {
    return { name: 'read back by the bench profile parser', ok: false, detail: (error as Error).message, ms: Date.now() - started };
  }
}
