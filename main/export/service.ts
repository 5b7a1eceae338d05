/**
 * The `export` service: resolves the model (lab, profile, Exchange, imported file), asks the
 * target for its files, proves them on the real stack in a private directory, and keeps the
 * result for save(). Proofs always run on the files with their secrets in place; what the user
 * sees and saves has them redacted unless revealed.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ExportProof, ExportRequest, ExportResult, ExportSaveInput, ExportSaveResult, ExportService, ExportTargetInfo } from '../api/export';
import type { EngineContext } from '../engine/context';
import { BenchFailure } from '../engine/failure';
import type { Exchange } from '../exchange/model';
import { parseExchange, parseExchanges } from '../exchange/serialize';
import { customProfile, systemProfile } from '../gss/profiles';
import type { GssSupervisor } from '../gss/supervisor';
import type { KerberosProfile } from '../gss/types';
import type { LabServiceImpl } from '../lab/service';
import type { HistoryServiceImpl } from '../workspace/history';
import type { ImportServiceImpl } from './import/service';
import { applyExchange, applyImport, labModel, profileModel } from './model';
import { saveExport, writeProofFiles } from './save';
import { EXPORT_TARGETS, exportTarget } from './targets';
import type { ExportModel, ExportTarget } from './types';

/** A generated export stays available to save() this long, and at most this many are kept. */
const KEEP_MS = 60 * 60 * 1000;
const KEEP_COUNT = 32;
/** All of a target's proofs together (a cold JVM compile plus a broker and a client fit well inside). */
const PROOF_TIMEOUT_MS = 180_000;

export class ExportServiceImpl implements ExportService {
  private readonly results = new Map<string, { result: ExportResult; at: number }>();

  constructor(
    readonly context: EngineContext,
    readonly supervisor: () => GssSupervisor,
    readonly lab: LabServiceImpl,
    readonly history: HistoryServiceImpl,
    readonly importer?: ImportServiceImpl,
  ) {}

  async targets(): Promise<ExportTargetInfo[]> {
    return EXPORT_TARGETS.map((t) => t.info);
  }

  async generate(request: ExportRequest): Promise<ExportResult> {
    const target = exportTarget(request.target);
    const resolved = await this.model(request);
    const model = target.prepare ? await target.prepare(resolved.model) : resolved.model;
    const profile = resolved.profile;
    const revealed = target.generate(model, true);
    const proofs = request.prove === false ? null : await this.prove(target, model, profile, revealed.files);
    const reveal = request.revealSecrets === true;
    const shown = reveal ? revealed : target.generate(model, false);
    const result: ExportResult = {
      id: randomUUID(),
      target: target.info.id,
      title: target.info.title,
      files: shown.files,
      proofs: proofs ?? [],
      proven: proofs ? proofs.every((p) => p.ok) : null,
      knownToWork: model.knownToWork,
      basis: model.basis,
      notes: shown.notes,
      revealed: reveal,
      createdAt: new Date().toISOString(),
    };
    this.keep(result);
    return result;
  }

  async save(input: ExportSaveInput): Promise<ExportSaveResult> {
    const kept = this.results.get(input.id);
    if (!kept) throw new BenchFailure(`export ${input.id} is no longer kept (exports are kept for an hour): generate it again`);
    return saveExport(kept.result.files, path.resolve(input.dir), input.force === true);
  }

  async dispose(): Promise<void> {
    this.results.clear();
  }

  private keep(result: ExportResult): void {
    const now = Date.now();
    for (const [id, kept] of this.results) if (now - kept.at > KEEP_MS) this.results.delete(id);
    this.results.set(result.id, { result, at: now });
    while (this.results.size > KEEP_COUNT) this.results.delete(this.results.keys().next().value!);
  }

  /** The model and the Kerberos profile its proofs run with. */
  private async model(request: ExportRequest): Promise<{ model: ExportModel; profile: KerberosProfile }> {
    const from = request.from ?? { kind: 'lab' };
    const options = request.options ?? {};
    let model: ExportModel;
    let profile: KerberosProfile;
    if (from.kind === 'lab') {
      const target = from.realm ? { realm: from.realm } : {};
      model = await labModel(await this.lab.up(target), options);
      profile = await this.lab.profile(target);
    } else {
      model = await profileModel(from, options);
      profile =
        from.profile === 'system' && !from.krb5Config
          ? systemProfile()
          : customProfile({
              ...(model.krb5ConfigFile ? { krb5Config: model.krb5ConfigFile } : {}),
              ...(from.ccache ? { ccache: from.ccache } : {}),
              ...(from.serviceKeytab ? { keytab: from.serviceKeytab } : {}),
              ...(from.clientKeytab ? { clientKeytab: from.clientKeytab } : {}),
            });
    }
    if (request.imported) {
      if (!this.importer) throw new BenchFailure('importing is not available in this engine');
      const reading = await this.importer.read({ file: { path: request.imported.file }, ...(request.imported.as ? { as: request.imported.as } : {}) });
      const errors = reading.problems.filter((p) => p.severity === 'error');
      if (errors.length) throw new BenchFailure(`${request.imported.file} cannot be used: ${errors.map((p) => `${p.file}:${p.line}: ${p.message}`).join('; ')}`, reading);
      model = await applyImport(model, { format: reading.format, file: reading.file, setup: reading.setup });
    }
    if (request.exchange) model = await applyExchange(model, await this.exchange(request.exchange));
    return { model, profile };
  }

  private async exchange(ref: NonNullable<ExportRequest['exchange']>): Promise<Exchange> {
    if ('id' in ref) {
      const found = (await this.history.list()).find((e) => e.id === ref.id || e.id.startsWith(ref.id));
      if (!found) throw new BenchFailure(`no Exchange ${ref.id} in this session's history: save it (History → Export) and pass the file instead`);
      return found;
    }
    const text = await readFile(ref.file, 'utf8').catch((error: unknown) => {
      throw new BenchFailure(`cannot read ${ref.file}: ${(error as Error).message}`);
    });
    try {
      return parseExchange(text);
    } catch (single) {
      // A History export holds several: the newest successful one is the one that worked.
      const many = (() => {
        try {
          return parseExchanges(text);
        } catch {
          return [];
        }
      })();
      const success = many.filter((e) => e.verdict.outcome === 'success').at(-1);
      if (success) return success;
      throw new BenchFailure(`${ref.file} is not a saved Exchange: ${(single as Error).message}`);
    }
  }

  /** Writes the revealed files into a private directory and runs the target's proofs there. */
  private async prove(target: ExportTarget, model: ExportModel, profile: KerberosProfile, files: ExportResult['files']): Promise<ExportProof[]> {
    const dir = await mkdtemp(path.join(os.tmpdir(), `kbench-export-${target.info.id}-`));
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error('timed out')), PROOF_TIMEOUT_MS);
    const started = performance.now();
    try {
      await writeProofFiles(dir, files);
      const context = { model, dir, files, engine: this.context, supervisor: this.supervisor, lab: this.lab, profile, signal: controller.signal };
      const timeout = new Promise<ExportProof[]>((resolve) =>
        controller.signal.addEventListener('abort', () => resolve([{ name: 'proofs finished in time', ok: false, detail: `the proofs did not finish within ${PROOF_TIMEOUT_MS / 1000} s` }])),
      );
      return await Promise.race([target.prove(context), timeout]);
    } catch (error) {
      return [{ name: 'proofs ran', ok: false, detail: `the proof itself failed: ${(error as Error).message}`, ms: Math.round(performance.now() - started) }];
    } finally {
      clearTimeout(timer);
      await rm(dir, { recursive: true, force: true });
    }
  }
}
