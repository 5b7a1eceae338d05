/** The `chain` service. (Being built: see issue 15.) */
import type { ChainDocument, ChainLoadResult, ChainService, ChainTestInput, ChainTestResult } from '../../api/chain';
import type { LabService } from '../../api/lab';
import type { EngineContext } from '../../engine/context';
import type { GssSupervisor } from '../../gss/supervisor';
import { tryChainConnection } from './try-connection';
import { loadChainYaml, saveChainYaml } from './azure-yaml';
import { resolveChain } from './resolve';
import { decodeBase64Part, hashPassword as hashPbkdf2, verifyPassword as verifyPbkdf2 } from './pbkdf2';

export class ChainServiceImpl implements ChainService {
  constructor(
    private readonly context: EngineContext,
    private readonly gss: () => GssSupervisor,
    private readonly lab: LabService,
  ) {}
  /** The YAML's own problems leave no document; missing secret files come with the document, so it can be fixed in the editor. */
  async load(file: string): Promise<ChainLoadResult> {
    const parsed = await loadChainYaml(file);
    if (!parsed.document) return { problems: parsed.problems };
    const { problems } = await resolveChain(parsed.document, parsed.lines);
    return { document: parsed.document, problems };
  }
  async save(document: ChainDocument): Promise<ChainLoadResult> {
    const saved = await saveChainYaml(document);
    if (!saved.document) return { problems: saved.problems };
    const { problems } = await resolveChain(saved.document, saved.lines);
    return { document: saved.document, problems };
  }
  async test(input: ChainTestInput): Promise<ChainTestResult> {
    return tryChainConnection(input, { dataDir: this.context.dataDir, gss: this.gss(), lab: this.lab });
  }
  async hashPassword(input: { password: string; salt?: string; iterations?: number }): Promise<{ hash: string }> {
    const salt = input.salt === undefined ? undefined : decodeBase64Part(input.salt, 'salt');
    return { hash: await hashPbkdf2(input.password, { ...(salt ? { salt } : {}), ...(input.iterations === undefined ? {} : { iterations: input.iterations }) }) };
  }
  async verifyPassword(input: { hash: string; password: string }): Promise<{ matches: boolean; why: string }> {
    return verifyPbkdf2(input.hash, input.password);
  }
  async dispose(): Promise<void> {}
}
