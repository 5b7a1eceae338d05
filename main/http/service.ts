/**
 * The HTTP endpoint as a Bench API service: one endpoint per engine (Elasticsearch or web-SSO mode),
 * its Exchanges (the last KEPT_EXCHANGES), the SSO switch, and the role mappings kept in the data
 * directory (main/http/es). Every request's Exchange goes out as `http.exchange`; status changes as
 * `http.status` (request counts coalesced).
 */
import path from 'node:path';
import type { HttpEndpointStatus, HttpServeOptions, HttpService, RoleMapping, RoleMappingTestInput, RoleMappingTestResult } from '../api/http';
import type { LabService } from '../api/lab';
import type { EngineContext } from '../engine/context';
import { Coalescer } from '../engine/coalesce';
import { BenchFailure } from '../engine/failure';
import type { Exchange } from '../exchange/model';
import { systemProfile } from '../gss/profiles';
import type { GssSupervisor } from '../gss/supervisor';
import type { KerberosProfile } from '../gss/types';
import { parseKeytab } from '../krb/keytab';
import { readUserFile } from '../system/files';
import { startHttpEndpoint, type EndpointMode, type HttpEndpoint } from './endpoint';
import { esModeFor, EsRoleMappings, loadRealmSettings, type EsModeSetup } from './es-mode';
import { SsoConsoleMode, ssoLogLine, type SsoSwitch } from './sso/console';
import { ConsoleUsers } from './users';

const DEFAULT_PORTS = { elasticsearch: 9200, sso: 8090 } as const;
const KEPT_LOG_LINES = 50;

/** "HTTP/localhost@BENCH.TEST" → the GSS acceptor name "HTTP@localhost"; "*" or "" → any key in the keytab. */
export function acceptorName(spn: string): string {
  if (spn === '' || spn === '*') return '';
  const match = /^([^/@\s]+)\/([^/@\s]+)(?:@([^/@\s]+))?$/.exec(spn.trim());
  if (!match) throw new BenchFailure(`"${spn}" is not a service principal: write HTTP/host@REALM (e.g. HTTP/localhost@BENCH.TEST), or "*" for any key in the keytab`);
  return `${match[1]}@${match[2]}`;
}

interface Credentials {
  profile: KerberosProfile;
  keytab: string;
  spn: string;
  /** The Kerberos realm users come from (the lab's, or the SPN's). */
  realm: string | undefined;
}

export class HttpServiceImpl implements HttpService {
  private endpoint: HttpEndpoint | undefined;
  private details: Omit<HttpEndpointStatus, 'running' | 'requests'> = {};
  private sso = true;
  private readonly log: string[] = [];
  /** Status events for count changes are coalesced: one per burst. */
  private readonly statusLater = new Coalescer(() => void this.emitStatus());
  private esSetup: EsModeSetup | undefined;
  private readonly mappings: EsRoleMappings;

  constructor(
    private readonly context: EngineContext,
    private readonly gss: () => GssSupervisor,
    private readonly lab: LabService,
  ) {
    this.mappings = new EsRoleMappings(path.join(context.dataDir, 'http'));
  }

  async serve(options: HttpServeOptions): Promise<HttpEndpointStatus> {
    await this.stop();
    const esRealm = options.mode === 'elasticsearch' ? await loadRealmSettings(options.esConfig) : undefined;
    const credentials = await this.credentials(options, esRealm?.keytabPath || undefined);
    const gssName = acceptorName(credentials.spn);
    const keytab = parseKeytab(await readUserFile(credentials.keytab)).keytab.entries;
    const runtime = options.engine ?? 'mit';
    const profile: KerberosProfile = { ...credentials.profile, id: `${credentials.profile.id}:http:${credentials.keytab}:${runtime}`, keytab: `FILE:${credentials.keytab}`, runtime };
    const users = await ConsoleUsers.open(path.join(this.context.dataDir, 'http'));
    this.sso = options.ssoEnabled ?? true;
    let mode: EndpointMode;
    if (options.mode === 'sso') mode = new SsoConsoleMode(this.ssoSwitch());
    else {
      this.esSetup = { realm: { ...esRealm!, removeRealmName: options.removeRealmName ?? esRealm!.removeRealmName }, basic: options.basic ?? false, kerberosRealm: credentials.realm, mappings: this.mappings };
      mode = esModeFor(this.esSetup);
    }
    const port = options.port ?? DEFAULT_PORTS[options.mode];
    try {
      this.endpoint = await startHttpEndpoint({
        port,
        fallBack: options.port === undefined,
        mode,
        users,
        acceptor: { worker: this.gss().worker(profile), gssName, keys: [{ kind: 'keytab', label: credentials.keytab, entries: keytab }], spnegoOnly: options.mode === 'elasticsearch' },
        service: gssName || '(any key in the keytab)',
        profile: profile.id,
        onExchange: (exchange) => {
          this.context.events.emit('http.exchange', exchange);
          this.statusLater.soon();
        },
        onLog: (line) => this.addLog(line),
      });
    } catch (error) {
      throw new BenchFailure(`cannot listen on 127.0.0.1:${port}: ${(error as Error).message}`);
    }
    this.details = {
      url: `http://localhost:${this.endpoint.port}`,
      port: this.endpoint.port,
      fellBack: this.endpoint.fellBack,
      mode: options.mode,
      engine: runtime,
      spn: gssName ? credentials.spn : '*',
      keytab: credentials.keytab,
      ...(this.esSetup ? { realm: this.esSetup.realm, basic: this.esSetup.basic } : { basic: true }),
      users: users.list(),
      passwordsFile: users.passwordsFile,
      startedAt: new Date().toISOString(),
    };
    return this.emitStatus();
  }

  /** The lab's HTTP/localhost and service keytab, or the caller's SPN and keytab (or the yml's keytab.path). */
  private async credentials(options: HttpServeOptions, ymlKeytab: string | undefined): Promise<Credentials> {
    if (options.credentials === 'lab') {
      const target = options.realm ? { realm: options.realm } : {};
      const status = await this.lab.up(target);
      const profile = await this.lab.profile(target);
      return { profile, keytab: options.keytab ?? ymlKeytab ?? status.keytabs.service, spn: options.spn ?? `HTTP/localhost@${status.realm}`, realm: status.realm };
    }
    const keytab = options.keytab ?? ymlKeytab;
    if (!keytab) throw new BenchFailure('a custom endpoint needs a service keytab: give one (--keytab), or keytab.path in the elasticsearch.yml');
    if (options.spn === undefined) throw new BenchFailure('a custom endpoint needs its SPN (HTTP/host@REALM), or "*" to accept any principal the keytab holds');
    return { profile: systemProfile(), keytab, spn: options.spn, realm: /@([^@]+)$/.exec(options.spn)?.[1] };
  }

  /** The console's view of the switch: it reads the service's state and sets it (the endpoint logs the line). */
  private ssoSwitch(): SsoSwitch {
    const read = () => this.sso;
    return {
      get enabled() {
        return read();
      },
      set: (enabled, by) => this.setSsoBy(enabled, by),
    };
  }

  async stop(): Promise<HttpEndpointStatus> {
    const endpoint = this.endpoint;
    this.endpoint = undefined;
    this.esSetup = undefined;
    await endpoint?.close();
    this.statusLater.cancel();
    this.details = {};
    return endpoint ? this.emitStatus() : this.status();
  }

  async status(): Promise<HttpEndpointStatus> {
    const running = Boolean(this.endpoint);
    return {
      running,
      requests: this.endpoint?.requests ?? 0,
      ...this.details,
      ...(running && this.details.mode === 'sso' ? { ssoEnabled: this.sso } : {}),
      ...(this.log.length ? { log: [...this.log] } : {}),
    };
  }

  async exchanges(): Promise<Exchange[]> {
    return structuredClone([...(this.endpoint?.exchanges ?? [])]);
  }

  async roleMappings(): Promise<Record<string, RoleMapping>> {
    return this.mappings.all();
  }

  async putRoleMapping(name: string, mapping: RoleMapping | string): Promise<{ created: boolean }> {
    return this.mappings.put(name, mapping);
  }

  async deleteRoleMapping(name: string): Promise<{ found: boolean }> {
    return this.mappings.delete(name);
  }

  async testRoleMapping(input: RoleMappingTestInput): Promise<RoleMappingTestResult> {
    const realm = this.esSetup?.realm;
    return this.mappings.test(input, {
      removeRealmName: realm?.removeRealmName ?? false,
      realmName: realm?.name ?? 'kerb1',
      kerberosRealm: this.esSetup?.kerberosRealm ?? (await this.lab.status().catch(() => undefined))?.realm ?? 'BENCH.TEST',
    });
  }

  async setSso(enabled: boolean): Promise<HttpEndpointStatus> {
    this.addLog(this.setSsoBy(enabled, 'bench'));
    return this.emitStatus();
  }

  async revealUserPasswords(): Promise<Record<string, string>> {
    const users = await ConsoleUsers.open(path.join(this.context.dataDir, 'http'));
    return users.revealInitialPasswords();
  }

  private setSsoBy(enabled: boolean, by: string): string {
    this.sso = enabled;
    return ssoLogLine(enabled, by);
  }

  private addLog(line: string): void {
    this.log.push(`${new Date().toISOString()} ${line}`);
    if (this.log.length > KEPT_LOG_LINES) this.log.splice(0, this.log.length - KEPT_LOG_LINES);
    this.statusLater.soon();
  }

  private async emitStatus(): Promise<HttpEndpointStatus> {
    const status = await this.status();
    this.context.events.emit('http.status', status);
    return status;
  }

  async dispose(): Promise<void> {
    await this.stop();
  }
}
