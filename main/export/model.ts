/**
 * The ExportModel: what every export target generates from, resolved once from the lab realm, a
 * profile (the user's krb5.conf and keytabs), a successful Exchange, or an imported file. Targets
 * stay pure because everything that needs the disk or the lab happens here.
 */
import { systemKrb5Config } from '../system/krb5-env';
import { readFile } from 'node:fs/promises';
import type { ExportFrom, ExportOptions } from '../api/export';
import type { LabStatus } from '../api/lab';
import type { Exchange } from '../exchange/model';
import { parseKeytab, writeKeytab } from '../krb/keytab';
import { formatPrincipal, parsePrincipal } from '../krb/names';
import { parseProfile, type ParsedProfile, type ProfileSection, type ProfileValue } from '../krb/profile';
import { BenchFailure } from '../engine/failure';
import type { ExportModel, ModelService } from './types';

/** [libdefaults] tags that describe the realm's behaviour (kept); the lab's own paths and defaults that only it needs are not. */
const KEPT_LIBDEFAULTS = new Set([
  'dns_lookup_kdc',
  'dns_lookup_realm',
  'dns_canonicalize_hostname',
  'rdns',
  'udp_preference_limit',
  'ticket_lifetime',
  'renew_lifetime',
  'forwardable',
  'clockskew',
  'permitted_enctypes',
  'default_tkt_enctypes',
  'default_tgs_enctypes',
  'allow_weak_crypto',
  'allow_rc4',
  'default_keytab_name',
  'qualify_shortname',
  'ignore_acceptor_hostname',
]);

const LAB_HOSTS = { mqtt: 'localhost', http: 'localhost', hazelcast: '127.0.0.1' } as const;

/** The keytab's entries for these principals, as a keytab of their own (what an export hands out). */
export async function keytabFor(file: string | undefined, ...principals: string[]): Promise<Uint8Array | undefined> {
  if (!file) return undefined;
  let bytes: Buffer;
  try {
    bytes = await readFile(file.replace(/^(FILE|WRFILE):/, ''));
  } catch {
    return undefined;
  }
  const keytab = parseKeytab(bytes).keytab;
  const entries = keytab.entries.filter((e) => principals.includes(formatPrincipal(e.principal)));
  return entries.length ? writeKeytab({ version: keytab.version, entries }) : undefined;
}

function values(section: ProfileSection | undefined, tag: string): string[] {
  return (section?.relations.get(tag) ?? []).filter((v): v is ProfileValue => 'value' in v).map((v) => v.value);
}

/** [libdefaults] relations worth keeping, and [domain_realm], from a parsed krb5.conf. */
function profileSettings(profile: ParsedProfile): Pick<ExportModel, 'libdefaults' | 'domainRealm'> {
  const libdefaults: Record<string, string> = {};
  for (const [tag, list] of profile.sections.get('libdefaults')?.relations ?? []) {
    const first = list.find((v): v is ProfileValue => 'value' in v);
    if (first && KEPT_LIBDEFAULTS.has(tag)) libdefaults[tag] = first.value;
  }
  const domainRealm: ExportModel['domainRealm'] = [];
  for (const [domain, list] of profile.sections.get('domain_realm')?.relations ?? []) {
    for (const v of list) if ('value' in v) domainRealm.push({ domain, realm: v.value });
  }
  return { libdefaults, domainRealm };
}

function realmSection(profile: ParsedProfile, realm: string): ProfileSection | undefined {
  const entry = profile.sections.get('realms')?.relations.get(realm)?.find((v): v is ProfileSection => 'relations' in v);
  return entry;
}

async function readKrb5(file: string): Promise<ParsedProfile> {
  try {
    return parseProfile(await readFile(file, 'utf8'), file);
  } catch (error) {
    throw new BenchFailure(`cannot read the krb5.conf ${file}: ${(error as Error).message}`);
  }
}

async function service(principal: string, keytabFile: string | undefined, ...alsoKeysOf: string[]): Promise<ModelService> {
  const host = parsePrincipal(principal).components[1] ?? '';
  const keytab = await keytabFor(keytabFile, principal, ...alsoKeysOf);
  return { principal, host, ...(keytabFile ? { keytabFile } : {}), ...(keytab ? { keytab } : {}) };
}

function mqttUrl(options: ExportOptions, host: string): string {
  return options.mqttUrl ?? `mqtt://${host}:1883`;
}

/**
 * Hazelcast with one static SPN for every member (options.hazelcastSpn static): the members accept
 * tickets for it, so its keys go into the members' keytab beside their own.
 */
function staticSpnOf(options: ExportOptions, realm: string): string[] {
  const spn = options.hazelcastSpn?.kind === 'static' ? options.hazelcastSpn.spn : undefined;
  return spn ? [spn.includes('@') ? spn : `${spn}@${realm}`] : [];
}

/** The model of a lab realm: its KDC, mqtt/localhost, HTTP/localhost, hz/127.0.0.1 and alice. */
export async function labModel(lab: LabStatus, options: ExportOptions = {}): Promise<ExportModel> {
  if (lab.state !== 'running' || !lab.kdc) throw new BenchFailure(`the lab realm ${lab.realm} is ${lab.state}: bring it up first (kbench lab up)`);
  const realm = lab.realm;
  const settings = profileSettings(await readKrb5(lab.krb5Conf));
  const keytab = lab.keytabs.service;
  const [mqtt, http, hazelcast] = await Promise.all([
    service(`mqtt/${LAB_HOSTS.mqtt}@${realm}`, keytab),
    service(`HTTP/${LAB_HOSTS.http}@${realm}`, keytab),
    service(`hz/${LAB_HOSTS.hazelcast}@${realm}`, keytab, ...staticSpnOf(options, realm)),
  ]);
  return {
    realm,
    kdcs: [lab.kdc],
    krb5ConfigFile: lab.krb5Conf,
    ...settings,
    mqtt: { ...mqtt, url: mqttUrl(options, mqtt.host) },
    http: { ...http, url: `http://${http.host}:9200/` },
    hazelcast,
    client: { principal: `alice@${realm}`, keytabFile: lab.keytabs.client, ccache: lab.ccache.path },
    knownToWork: null,
    basis: `lab realm ${realm}`,
    labRealm: realm,
    options,
  };
}

/** The model of the user's own setup: the realm and KDCs of their krb5.conf, their principals and keytabs. */
export async function profileModel(from: Extract<ExportFrom, { kind: 'profile' }>, options: ExportOptions = {}, env: NodeJS.ProcessEnv = process.env): Promise<ExportModel> {
  const file = from.krb5Config ?? (from.profile === 'system' ? systemKrb5Config(env) : undefined);
  if (!file) throw new BenchFailure('a custom profile needs its krb5.conf (krb5Config)');
  const profile = await readKrb5(file);
  const realm = from.realm ?? values(profile.sections.get('libdefaults'), 'default_realm')[0];
  if (!realm) throw new BenchFailure(`${file} has no default_realm in [libdefaults]: name the realm`);
  const section = realmSection(profile, realm);
  const kdcs = values(section, 'kdc');
  const host = options.host ?? 'localhost';
  const keytab = from.serviceKeytab;
  const pick = async (given: string | undefined, fallback: string) => service(given ?? fallback, keytab);
  const mqtt = await pick(from.servicePrincipal?.startsWith('mqtt/') ? from.servicePrincipal : undefined, `mqtt/${host}@${realm}`);
  const http = await pick(from.servicePrincipal?.startsWith('HTTP/') ? from.servicePrincipal : undefined, `HTTP/${host}@${realm}`);
  const hazelcast = await service(from.servicePrincipal?.startsWith('hz/') ? from.servicePrincipal : `hz/${host}@${realm}`, keytab, ...staticSpnOf(options, realm));
  const admin = values(section, 'admin_server')[0];
  return {
    realm,
    kdcs,
    ...(admin ? { adminServer: admin } : {}),
    krb5ConfigFile: file,
    ...profileSettings(profile),
    mqtt: { ...mqtt, url: mqttUrl(options, mqtt.host) },
    http: { ...http, url: `http://${http.host}:9200/` },
    hazelcast,
    client: {
      principal: from.clientPrincipal ?? `user@${realm}`,
      ...(from.clientKeytab ? { keytabFile: from.clientKeytab } : {}),
      ...(from.ccache ? { ccache: from.ccache } : {}),
    },
    knownToWork: null,
    basis: `${from.profile} profile (${file}), realm ${realm}`,
    options,
  };
}

/** "mqtt@localhost" → "mqtt/localhost@REALM"; a principal stays as it is. */
function servicePrincipalOf(exchange: Exchange, realm: string): string | undefined {
  const name = exchange.meta?.servicePrincipal ?? exchange.service;
  if (!name) return undefined;
  if (name.includes('/')) return name.includes('@') ? name : `${name}@${realm}`;
  const [svc, host] = name.split('@');
  return host ? `${svc}/${host}@${realm}` : undefined;
}

/**
 * A successful Exchange narrows the model to what worked: its service principal and client, and
 * marks the export "known to work". A failed or pending one is refused with its verdict.
 */
export async function applyExchange(model: ExportModel, exchange: Exchange): Promise<ExportModel> {
  if (exchange.verdict.outcome !== 'success') {
    throw new BenchFailure(`Exchange ${exchange.id} did not succeed (${exchange.verdict.outcome}: ${exchange.verdict.reason}): export from one that worked`);
  }
  const out: ExportModel = { ...model };
  const principal = servicePrincipalOf(exchange, model.realm);
  if (principal) {
    const kind = principal.startsWith('HTTP/') ? 'http' : principal.startsWith('hz/') ? 'hazelcast' : 'mqtt';
    const keytabFile = exchange.keyFiles?.keytab ?? model[kind].keytabFile;
    const svc = await service(principal, keytabFile);
    if (kind === 'mqtt') out.mqtt = { ...svc, url: mqttUrl(model.options, svc.host) };
    else if (kind === 'http') out.http = { ...svc, url: model.http.url.replace(model.http.host, svc.host) };
    else out.hazelcast = svc;
  }
  if (exchange.identity?.principal) out.client = { ...model.client, principal: exchange.identity.principal };
  const date = exchange.finishedAt ?? exchange.startedAt;
  const who = exchange.identity?.principal ? `, ${exchange.identity.principal}` : '';
  out.knownToWork = { exchangeId: exchange.id, date, summary: `${exchange.source} ${exchange.mechanism}${who} → ${exchange.verdict.reason || 'success'}` };
  out.basis = `${model.basis}; Exchange ${exchange.id.slice(0, 8)} (${exchange.source}${who})`;
  return out;
}

/** Settings from the user's own file win over the defaults: realm, KDCs, principals, [libdefaults]. */
export async function applyImport(model: ExportModel, imported: NonNullable<ExportModel['imported']>): Promise<ExportModel> {
  const { setup } = imported;
  const out: ExportModel = { ...model, imported, basis: `${model.basis}; ${imported.file} (imported ${imported.format})` };
  if (setup.libdefaults) out.libdefaults = { ...model.libdefaults, ...setup.libdefaults };
  if (setup.domainRealm) out.domainRealm = setup.domainRealm;
  // An imported EMQX principal is the one exported: its keys come from the model's service keytab
  // (the lab's, after `kbench lab principal add`), or from the keytab the file names.
  const principal = setup.broker?.principal;
  if (principal && principal !== model.mqtt.principal) {
    const svc = await service(principal, setup.broker?.keytab ?? setup.serviceKeytab ?? model.mqtt.keytabFile);
    out.mqtt = { ...svc, url: mqttUrl(model.options, svc.host) };
  }
  // The lab stays the realm the proofs run against; an imported realm replaces it only for a profile model.
  if (!model.labRealm) {
    if (setup.realm) out.realm = setup.realm;
    if (setup.kdcs?.length) out.kdcs = setup.kdcs;
  }
  return out;
}
