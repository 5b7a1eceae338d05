/**
 * The node's krb5.conf and keytab checked by MIT: with KRB5_CONFIG = the exported krb5.conf, the
 * client logs in (kinit with its keytab, into a private ccache, so the KDC in the file is really
 * asked) and `kvno -k es.keytab HTTP/host@REALM` gets a ticket for the node's SPN and opens it
 * with the exported keytab — the KDC knows the SPN, and the keytab holds its current key.
 */
import { access, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ExportProof } from '../../api/export';
import { findExecutable, runTool } from '../../system/exec';
import type { ProofContext } from '../types';
import { clientEnv } from './curl';
import { KRB5_CONF } from './files';
import type { EsExportSettings } from './settings';

const said = (run: { stdout: string; stderr: string; error?: string }) => (run.error ?? `${run.stdout}${run.stderr}`).trim().replace(/\s+/g, ' ');

export async function proveKvno(ctx: ProofContext, s: EsExportSettings): Promise<ExportProof> {
  const spn = ctx.model.http.principal;
  const name = `krb5.conf and ${path.basename(s.keytabFile)} checked by MIT: kvno -k for ${spn}`;
  const started = Date.now();
  const done = (ok: boolean, detail: string): ExportProof => ({ name, ok, detail, ms: Date.now() - started });
  const keytab = path.join(ctx.dir, s.keytabFile);
  if (!(await access(keytab).then(() => true, () => false))) return done(false, `${s.keytabFile} is not in the export: nothing to check`);
  if (!(await findExecutable('kvno'))) return done(true, 'not run: MIT kvno is not installed (Debian krb5-user)');
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'kbench-es-kvno-'));
  try {
    const krb5Config = path.join(ctx.dir, KRB5_CONF);
    const { keytabFile, principal } = ctx.model.client;
    let ccache = ctx.profile.ccache;
    let login = `the client's ccache ${ccache ?? '(default)'}`;
    if (keytabFile) {
      ccache = `FILE:${path.join(scratch, 'client.ccache')}`;
      const kinit = await runTool('kinit', ['-k', '-t', keytabFile, '-c', ccache, principal], { env: clientEnv(ctx.profile, { KRB5_CONFIG: krb5Config }), timeoutMs: 15_000 });
      if (!kinit.ok) return done(false, `KRB5_CONFIG=krb5.conf kinit -k -t ${path.basename(keytabFile)} ${principal}: ${said(kinit)} — the KDCs in krb5.conf (${ctx.model.kdcs.join(', ')}) did not log the client in`);
      login = `kinit -k ${principal} through the exported krb5.conf`;
    }
    const env = clientEnv(ctx.profile, { KRB5_CONFIG: krb5Config, ...(ccache ? { KRB5CCNAME: ccache } : {}) });
    const kvno = await runTool('kvno', ['--no-store', '-k', keytab, spn], { env, timeoutMs: 15_000 });
    if (!kvno.ok) return done(false, `kvno -k ${s.keytabFile} ${spn}: ${said(kvno)} — fix: the keytab must hold the KDC's current key of ${spn} (export it again with ktadd -norandkey)`);
    return done(true, `${login}, then kvno -k ${s.keytabFile} ${spn}: ${said(kvno)}`);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
