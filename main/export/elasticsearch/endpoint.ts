/**
 * A throwaway Elasticsearch-mode endpoint for proofs and "test my config": the bench's own ES
 * emulation (main/http/es-mode.ts) on 127.0.0.1 with a free port, its realm read from an
 * elasticsearch.yml by the bench's settings reader (file:line problems, ES's keytab checks), its
 * role mappings in a private directory, and its GSS workers in a supervisor of its own — so
 * nothing of the user's running `http` service, its mappings or its workers is touched, and
 * close() leaves no process behind.
 *
 * ES accepts with the keytab's keys whatever principal the ticket names (KerberosTicketValidator
 * acquires acceptor credentials with no name), so the acceptor here takes any key in the keytab.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { EsKerberosRealmSettings, GssRuntime } from '../../api/http';
import type { Exchange } from '../../exchange/model';
import { GssSupervisor } from '../../gss/supervisor';
import type { KerberosProfile } from '../../gss/types';
import { parseKeytab } from '../../krb/keytab';
import { startHttpEndpoint } from '../../http/endpoint';
import { esModeFor, EsRoleMappings } from '../../http/es-mode';
import { loadEsKerberosSettings, parseEsKerberosSettings, type EsConfigProblem, type EsSettingsResult } from '../../http/es/settings';
import { ConsoleUsers } from '../../http/users';
import { fsMessage, readUserFile } from '../../system/files';

export interface ThrowawayEsOptions {
  /** The elasticsearch.yml to load (its keytab.path resolved against its folder); undefined → the defaults. */
  esConfig?: string;
  /** Used instead of the yml's keytab.path (the lab's keytab standing in for a missing one). */
  keytab?: string;
  /** The Kerberos profile the acceptor runs with: its krb5Config is what -Djava.security.krb5.conf names. */
  profile: KerberosProfile;
  /** java: ES's own stack (JAAS-free Java GSS acceptor); mit: the native binding. */
  runtime: GssRuntime;
  /** The Kerberos realm users come from (role-mapping tests of bare names). */
  kerberosRealm: string | undefined;
}

export interface ThrowawayEsEndpoint {
  /** "http://localhost:PORT": a host name, so curl asks for HTTP/localhost. */
  url: string;
  port: number;
  realm: EsKerberosRealmSettings;
  keytab: string;
  exchanges(): readonly Exchange[];
  log: string[];
  close(): Promise<void>;
}

export type ThrowawayEsStart = { ok: true; endpoint: ThrowawayEsEndpoint } | { ok: false; problems: EsConfigProblem[] };

/** Starts the endpoint; a yml the settings reader refuses comes back as its problems (file:line, ES's texts). */
export async function startThrowawayEsEndpoint(options: ThrowawayEsOptions): Promise<ThrowawayEsStart> {
  const settings = await realmSettings(options);
  if (!settings.ok) return settings;
  const realm = settings.realm;
  const keytab = options.keytab ?? realm.keytabPath;
  let entries;
  try {
    entries = parseKeytab(await readUserFile(keytab)).keytab.entries;
  } catch (error) {
    return { ok: false, problems: [{ at: realm.lines['keytab.path'] ?? keytab, message: (error as Error).message }] };
  }
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'kbench-es-proof-'));
  const supervisor = new GssSupervisor();
  const profile: KerberosProfile = { ...options.profile, id: `export-es:${scratch}`, keytab: `FILE:${keytab}`, runtime: options.runtime };
  const log: string[] = [];
  try {
    const endpoint = await startHttpEndpoint({
      port: 0,
      fallBack: false,
      mode: esModeFor({ realm, basic: false, kerberosRealm: options.kerberosRealm, mappings: new EsRoleMappings(scratch) }),
      users: await ConsoleUsers.open(scratch),
      acceptor: { worker: supervisor.worker(profile), gssName: '', keys: [{ kind: 'keytab', label: keytab, entries }], spnegoOnly: true },
      service: '(any key in the keytab)',
      profile: profile.id,
      onExchange: () => {},
      onLog: (line) => log.push(line),
    });
    return {
      ok: true,
      endpoint: {
        url: `http://localhost:${endpoint.port}`,
        port: endpoint.port,
        realm,
        keytab,
        exchanges: () => endpoint.exchanges,
        log,
        async close() {
          await endpoint.close();
          await supervisor.dispose();
          await rm(scratch, { recursive: true, force: true });
        },
      },
    };
  } catch (error) {
    await supervisor.dispose();
    await rm(scratch, { recursive: true, force: true });
    return { ok: false, problems: [{ at: '127.0.0.1:0', message: `the endpoint could not listen: ${(error as Error).message}` }] };
  }
}

/**
 * The realm from the yml: with ES's keytab checks when the yml's keytab is the one used; without
 * them when a stand-in keytab is given (the yml's keytab.path may name a file only the real node has).
 */
async function realmSettings(options: ThrowawayEsOptions): Promise<EsSettingsResult> {
  if (!options.esConfig || !options.keytab) return loadEsKerberosSettings(options.esConfig);
  let text: string;
  try {
    text = await readFile(options.esConfig, 'utf8');
  } catch (error) {
    return { ok: false, problems: [{ at: options.esConfig, message: fsMessage(error) }] };
  }
  return parseEsKerberosSettings(text, options.esConfig);
}
