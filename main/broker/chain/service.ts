/** The `chain` service. (Being built: see issue 15.) */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ChainCustomServerOptions, ChainCustomServerStatus, ChainDocument, ChainLoadResult, ChainService, ChainTestInput, ChainTestResult } from '../../api/chain';
import type { LabService } from '../../api/lab';
import type { EngineContext } from '../../engine/context';
import { BenchFailure } from '../../engine/failure';
import type { GssSupervisor } from '../../gss/supervisor';
import { ensureSelfSignedCertificate } from '../tls';
import { parseAllow, readUsersFile, startCustomAuthServer, UsersFileError, type CustomAuthServer, type CustomServerUsers } from './custom-server';
import { tryChainConnection } from './try-connection';
import { loadChainYaml, saveChainYaml } from './azure-yaml';
import { resolveChain } from './resolve';
import { decodeBase64Part, hashPassword as hashPbkdf2, verifyPassword as verifyPbkdf2 } from './pbkdf2';

/** The users file, then the "USER:PASSWORD" ones; a file or value that does not parse is the user's to fix (`field: 'users'`). */
async function customServerUsers(options: ChainCustomServerOptions): Promise<CustomServerUsers> {
  try {
    const users = options.usersFile ? await readUsersFile(path.resolve(options.usersFile)) : new Map();
    for (const value of options.allow ?? []) users.set(...parseAllow(value));
    return users;
  } catch (error) {
    if (error instanceof UsersFileError) throw new BenchFailure(error.message, { field: 'users' });
    throw error;
  }
}

export class ChainServiceImpl implements ChainService {
  /** The sample custom authentication server, while it runs. */
  private customServer: CustomAuthServer | undefined;

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
  async startCustomServer(options: ChainCustomServerOptions): Promise<ChainCustomServerStatus> {
    await this.stopCustomServer();
    const users = await customServerUsers(options);
    const files = await ensureSelfSignedCertificate(path.join(this.context.dataDir, 'chain-custom-server'));
    this.customServer = await startCustomAuthServer({
      certPem: await readFile(files.certFile, 'utf8'),
      keyPem: await readFile(files.keyFile, 'utf8'),
      users,
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 0,
      log: (line) => this.context.events.emit('chain.customServerRequest', { line }),
    });
    return { url: this.customServer.url, caCertFile: files.certFile, users: [...users.keys()] };
  }

  async stopCustomServer(): Promise<void> {
    const server = this.customServer;
    this.customServer = undefined;
    await server?.close();
  }

  async dispose(): Promise<void> {
    await this.stopCustomServer();
  }
}
