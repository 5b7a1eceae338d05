/**
 * Listeners from Azure's YAML: each BrokerListener on 127.0.0.1 at its port (0: a free one), TLS
 * ones with the broker's self-signed certificate, each with the chain of the BrokerAuthentication
 * that names it. Used by the broker service, `kbench broker --chain` and `kbench chain test`.
 */
import type { LabService } from '../../api/lab';
import { BenchFailure } from '../../engine/failure';
import { systemProfile } from '../../gss/profiles';
import type { GssSupervisor } from '../../gss/supervisor';
import type { KerberosProfile } from '../../gss/types';
import type { Authenticator } from '../auth';
import type { ListenerConfig } from '../broker';
import { kerberosAuthenticator, type KerberosVariant } from '../kerberos-setup';
import { AuthChain } from './chain';
import { methodFor } from './methods';
import { resolveChainFile, type ResolvedListenerChain } from './resolve';
import type { KerberosMethodConfig } from './types';

export interface ChainListenersContext {
  /** The broker's certificate for TLS listeners (made on demand: only when a listener has TLS). */
  tls: () => Promise<{ certFile: string; keyFile: string; keyLogFile?: string }>;
  /** The GSSAPI-KERBEROS authenticator for a kerberos method (lab or the YAML's own keytab). */
  kerberos: (config: KerberosMethodConfig) => Promise<Authenticator>;
  /** Default 127.0.0.1. */
  host?: string;
  /** Replace every listener's port (0: a throwaway listener for `chain test`). */
  port?: number;
}

export interface ChainListeners {
  listeners: ListenerConfig[];
  /** BrokerListener names, in the same order. */
  names: string[];
  /** Dispose the chains' methods and the authenticators once the broker is closed. */
  dispose(): Promise<void>;
}

/** Loads and resolves the YAML; any problem refuses the whole file with every problem's file:line. */
export async function loadChainListeners(file: string): Promise<ResolvedListenerChain[]> {
  const { chains, problems } = await resolveChainFile(file);
  if (problems.length > 0) {
    const lines = problems.map((p) => `  ${p.file}:${p.line} ${p.path}: ${p.message}`);
    throw new BenchFailure(`${file} cannot be used:\n${lines.join('\n')}`);
  }
  if (chains.length === 0) throw new BenchFailure(`${file} has no BrokerListener: nothing to listen on`);
  return chains;
}

export async function chainListenerConfigs(resolved: ResolvedListenerChain[], context: ChainListenersContext): Promise<ChainListeners> {
  const chains: AuthChain[] = [];
  const authenticators = new Map<string, Authenticator>();
  const dispose = async (): Promise<void> => {
    await Promise.all(chains.map((c) => c.dispose()));
    await Promise.all([...authenticators.values()].map((a) => a.dispose?.()));
  };
  try {
    const listeners: ListenerConfig[] = [];
    for (const { listener, authentication, methods } of resolved) {
      const kerberos = methods.find((m): m is KerberosMethodConfig => m.kind === 'kerberos');
      let authenticator: Authenticator | undefined;
      if (kerberos) {
        const key = JSON.stringify(kerberos);
        authenticator = authenticators.get(key) ?? (await context.kerberos(kerberos));
        authenticators.set(key, authenticator);
      }
      const chain = new AuthChain({
        methods: methods.map((config) => methodFor(config, { ...(authenticator ? { kerberosAuthenticationMethod: authenticator.method } : {}) })),
        authenticationEnabled: listener.authenticationEnabled,
        ...(authentication ? { name: authentication } : {}),
      });
      chains.push(chain);
      listeners.push({
        protocol: listener.tls ? 'tls' : 'tcp',
        host: context.host ?? '127.0.0.1',
        port: context.port ?? listener.port,
        ...(listener.tls ? { tls: await context.tls() } : {}),
        ...(authenticator ? { authenticators: [authenticator] } : {}),
        chain,
      });
    }
    return { listeners, names: resolved.map((r) => r.listener.name), dispose };
  } catch (error) {
    await dispose();
    throw error instanceof BenchFailure ? error : new BenchFailure((error as Error).message);
  }
}

export interface ChainKerberosOptions {
  gss: GssSupervisor;
  lab: LabService;
  variant?: KerberosVariant;
  /** Defaults when the YAML names none (the broker's own --principal / --keytab). */
  principal?: string;
  keytab?: string;
  /** credentials 'lab': which lab realm, MIT or AD (default BENCH.TEST). */
  realm?: string;
}

/**
 * The GSSAPI-KERBEROS authenticator behind a kerberos method: the lab realm's mqtt/localhost and
 * service keytab (brought up if needed), or the YAML's principal and keytab with the system profile.
 */
export async function chainKerberosAuthenticator(config: KerberosMethodConfig, options: ChainKerberosOptions): Promise<Authenticator> {
  let profile: KerberosProfile;
  let keytab = config.keytab ?? options.keytab;
  let principal = config.principal ?? options.principal;
  if (config.credentials === 'lab' && !config.keytab) {
    const target = options.realm ? { realm: options.realm } : {};
    const status = await options.lab.up(target);
    // Another lab realm (an AD one) gets its own profile id: one GSS worker per realm.
    profile = options.realm ? { ...(await options.lab.profile(target)), id: `lab:${options.realm}` } : await options.lab.profile();
    keytab ??= status.keytabs.service;
    principal ??= `mqtt/localhost@${status.realm}`;
  } else {
    profile = systemProfile();
  }
  if (!principal || !keytab) throw new BenchFailure('the chain has a kerberos method without a keytab of its own: use the lab realm, or give a principal (service/FQDN@REALM) and a keytab');
  try {
    return await kerberosAuthenticator({ gss: options.gss, profile, keytabFile: keytab, principal, variant: options.variant ?? 'emqx' });
  } catch (error) {
    throw new BenchFailure((error as Error).message);
  }
}
