/**
 * Java JAAS login configuration: jaas.conf (client and service entries), the JVM options,
 * krb5.conf, the service keytab and a README (java/files.ts).
 *
 * Proven on the Java engine with the files placed as the README says (here under the proof's
 * directory): the client entry logs in with the user's ticket cache, and again with the client
 * keytab alone; each time the service entry logs in with the service keytab and a context is
 * established initiator → acceptor for the MQTT service principal.
 */
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ExportProof } from '../../api/export';
import type { KerberosProfile } from '../../gss/types';
import { deployed, JAVA_DIR, JAVA_FILES, javaFiles } from '../java/files';
import { javaText, runJavaFlow } from '../java/flow';
import type { ExportTarget, ProofContext } from '../types';

/** GSS_C_MUTUAL_FLAG | GSS_C_SEQUENCE_FLAG: what a Java client asks by default (requestMutualAuth). */
const JAVA_CLIENT_FLAGS = 2 | 8;

/** jaas.conf with every path under JAVA_DIR placed in the proof's directory. */
async function placedJaas(context: ProofContext): Promise<string> {
  const javaDir = path.join(context.dir, 'java');
  const text = (await readFile(path.join(context.dir, JAVA_FILES.jaas), 'utf8')).split(`${JAVA_DIR}/`).join(`${javaDir}/`);
  const file = path.join(javaDir, 'jaas.placed.conf');
  await writeFile(file, text, { mode: 0o600 });
  return file;
}

interface Login {
  label: string;
  /** KRB5CCNAME for the JVM: the user's cache, or one that does not exist (the keytab must do). */
  ccache: string;
}

async function run(context: ProofContext, jaasConfig: string, login: Login): Promise<ExportProof[]> {
  const { model } = context;
  const profile: KerberosProfile = {
    id: 'export:java',
    name: 'Java JAAS export (Java)',
    kind: 'custom',
    runtime: 'java',
    krb5Config: path.join(context.dir, JAVA_FILES.krb5),
    ccache: `FILE:${login.ccache}`,
    jaasConfig,
  };
  const spn = model.mqtt.principal;
  return runJavaFlow({
    supervisor: context.supervisor,
    profile,
    spn,
    flags: JAVA_CLIENT_FLAGS,
    names: {
      login: `client entry (com.sun.security.jgss.krb5.initiate) logs in with ${login.label}`,
      ticket: `ticket for ${spn} (${login.label})`,
      accept: `service entry (com.sun.security.jgss.krb5.accept) accepts it (${login.label})`,
    },
    about: { login: `principal ${model.client.principal}, ${login.label}`, accept: `principal ${spn}, keyTab ${deployed('service.keytab')}` },
  });
}

async function prove(context: ProofContext): Promise<ExportProof[]> {
  const { model } = context;
  const proofs: ExportProof[] = [];
  try {
    const jaasConfig = await placedJaas(context);
    if (model.client.ccache) proofs.push(...(await run(context, jaasConfig, { label: "the user's ticket cache", ccache: model.client.ccache.replace(/^FILE:/, '') })));
    if (model.client.keytabFile) {
      // The client keytab is the user's (never exported): the proof places the model's copy where jaas.conf expects it.
      await copyFile(model.client.keytabFile.replace(/^(FILE|WRFILE):/, ''), path.join(context.dir, JAVA_FILES.clientKeytab));
      proofs.push(...(await run(context, jaasConfig, { label: 'the client keytab (no ticket cache)', ccache: path.join(context.dir, 'java', 'no-such.ccache') })));
    }
    if (!proofs.length) proofs.push({ name: 'client entry logs in', ok: false, detail: `no ticket cache or client keytab for ${model.client.principal} to log in with: give one (--ccache / --client-keytab)` });
  } catch (error) {
    proofs.push({ name: 'Java JAAS login', ok: false, detail: javaText(error) });
  }
  return proofs;
}

export const javaTarget: ExportTarget = {
  info: {
    id: 'java',
    title: 'Java JAAS login configuration',
    summary: 'jaas.conf with client (ticket cache, client keytab) and service (keytab, storeKey, isInitiator=false) entries, the JVM options, krb5.conf, the service keytab and a README.',
    proofs: ['client entry logged in by Java Krb5LoginModule (ticket cache, then client keytab)', 'service entry logged in with the service keytab', 'Java context established client → service'],
  },
  generate: (model, reveal) => ({
    files: javaFiles(model, reveal),
    notes: [
      `Put the files in ${JAVA_DIR} and start the JVM with java @${deployed('java.options')} (README.md).`,
      `The service keytab must hold ${model.mqtt.principal}; keep it 0600, owned by the service's user.`,
    ],
  }),
  prove,
};
