/**
 * A Hazelcast security section run the way a member runs it, on the Java engine: the identity
 * side's Krb5LoginModule login, a service ticket for the member SPN, and the authentication
 * side's Krb5LoginModule accepting the token — each side's options exactly as Hazelcast hands
 * them to the module (security.ts), written as a JAAS file with the entries Java GSS looks up.
 *
 * Files the section names that are not on this machine, and principals the realm it runs
 * against does not have, are replaced by stand-ins; every replacement is said in the steps.
 */
import { existsSync } from 'node:fs';
import { lookupService } from 'node:dns/promises';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { HazelcastSecurity } from '../../api/hazelcast';
import type { GssSupervisor } from '../../gss/supervisor';
import type { KerberosProfile } from '../../gss/types';
import { JAAS_KRB5_ACCEPT, JAAS_KRB5_INITIATE, jaasEntryText, type LoginOptions } from '../java/jaas-file';
import { javaText, runJavaFlow, type FlowStep } from '../java/flow';
import { authenticationOptions, hazelcastUserName, identityOptions, memberRealm, memberSpn, type SideOptions } from './security';

/** What stands in for what the section names but this machine or realm lacks. */
export interface StandIns {
  /** The realm the flow runs against ("lab realm BENCH.TEST"). */
  against: string;
  realm: string;
  /** The member principal and a keytab holding its keys. */
  principal: string;
  keytab: string;
  /** Principals the realm has; null: do not replace principals (the user's own realm). */
  known: Set<string> | null;
  /** Paths the README places files at → where they are here (the export's directory). */
  placed?: Record<string, string>;
  /** Replace a member SPN the realm does not have (an imported section against the lab), or let Java say it is unknown. */
  replaceSpn?: boolean;
}

export interface HazelcastRun {
  security: HazelcastSecurity;
  supervisor: () => GssSupervisor;
  /** The krb5.conf the JVM runs with (-Djava.security.krb5.conf). */
  krb5Config: string;
  /** A private directory for the JAAS file. */
  dir: string;
  /** The member's address the SPN is built from. */
  address: string;
  standIns: StandIns;
  /** The Java worker profile's id: one JVM per id (a new JAAS file replaces the previous one). */
  profileId: string;
}

function withRealm(name: string, realm: string): string {
  return name.includes('@') ? name : `${name}@${realm}`;
}

/** The side's options with files placed and stand-ins put in; `notes` says what was replaced. */
function standIn(options: LoginOptions, s: StandIns, notes: string[]): LoginOptions {
  const out = { ...options };
  const keyTab = out.keyTab;
  if (keyTab !== undefined && s.placed?.[keyTab]) out.keyTab = s.placed[keyTab]!;
  else if (!s.keytab) return out; // the user's own realm: nothing stands in, Java says what is missing
  else if (keyTab !== undefined && !existsSync(keyTab)) {
    out.keyTab = s.keytab;
    notes.push(`keytab ${keyTab} is not on this machine: ${s.keytab} stands in`);
  } else if (keyTab === undefined && out.useKeyTab === 'true') {
    out.keyTab = s.keytab;
    notes.push(`no keyTab given: ${s.keytab} stands in`);
  }
  const principal = out.principal;
  if (principal === undefined && s.known) {
    out.principal = s.principal;
    notes.push(`no principal given (Hazelcast needs one for Krb5LoginModule): ${s.principal} stands in`);
    return out;
  }
  // Only a principal of another realm is replaced: an unknown one of this realm is the user's mistake, for Java to name.
  if (principal !== undefined && s.known && realmOf(principal, s.realm) !== s.realm) {
    out.principal = s.principal;
    notes.push(`${principal} is not in the ${s.against}: ${s.principal} stands in`);
  }
  return out;
}

function realmOf(name: string, fallback: string): string {
  const at = name.lastIndexOf('@');
  return at > 0 ? name.slice(at + 1) : fallback;
}

/**
 * An imported section against another realm: its SPN's realm becomes this one; a static spn the
 * realm does not have is replaced. A prefix-built SPN stays (its host is this realm's member), so
 * a wrong prefix is Java's to report.
 */
function spnStandIn(spn: string, isStatic: boolean, s: StandIns, notes: string[]): string {
  if (!s.replaceSpn || !s.known) return spn;
  let out = spn;
  if (realmOf(spn, s.realm) !== s.realm) {
    out = `${spn.slice(0, spn.lastIndexOf('@'))}@${s.realm}`;
    notes.push(`the member SPN ${spn} is asked for in the ${s.against} as ${out}`);
  }
  if (isStatic && !s.known.has(withRealm(out, s.realm))) {
    notes.push(`the static spn ${out} is not in the ${s.against}: ${s.principal} stands in`);
    out = s.principal;
  }
  return out;
}

/** Hazelcast's use-canonical-hostname: InetAddress.getCanonicalHostName(), a reverse lookup through the system resolver. */
async function canonicalHost(address: string): Promise<string | undefined> {
  try {
    return (await lookupService(address, 0)).hostname;
  } catch {
    return undefined;
  }
}

function describe(side: SideOptions, options: LoginOptions): string {
  const shown = ['principal', 'keyTab', 'isInitiator', 'storeKey', 'useKeyTab'].filter((k) => options[k] !== undefined).map((k) => `${k}=${options[k]}`);
  return `${side.source}: ${shown.join(' ')}`;
}

/** The three steps: identity login, ticket for the member SPN, acceptance (Java's texts on failure). */
export async function runHazelcastFlow(run: HazelcastRun): Promise<FlowStep[]> {
  const realm = memberRealm(run.security);
  const identity = identityOptions(run.security, realm);
  const authentication = authenticationOptions(run.security, realm);
  const loginName = 'identity login (Krb5LoginModule)';
  if (!realm || !identity.options) return [{ name: loginName, ok: false, detail: `no identity to log in with: ${identity.why ?? 'no Kerberos realm'}` }];
  if (!authentication.options) return [{ name: 'authentication side accepts it', ok: false, detail: `no acceptor to accept with: ${authentication.why ?? ''}` }];
  const notes: string[] = [];
  const initiator = standIn(identity.options, run.standIns, notes);
  const acceptor = standIn(authentication.options, run.standIns, notes);
  const canonical = realm.identity?.useCanonicalHostname ? await canonicalHost(run.address) : undefined;
  const asked = memberSpn(realm.identity, run.address, canonical);
  const spn = spnStandIn(asked, realm.identity?.spn !== undefined, run.standIns, notes);
  const jaasFile = path.join(run.dir, 'hazelcast-flow.jaas');
  try {
    const text = jaasEntryText(JAAS_KRB5_INITIATE, initiator, { comment: `identity of realm ${realm.name}` }) + jaasEntryText(JAAS_KRB5_ACCEPT, acceptor, { comment: `authentication of realm ${realm.name}` });
    await writeFile(jaasFile, text, { mode: 0o600 });
  } catch (error) {
    return [{ name: loginName, ok: false, detail: javaText(error) }];
  }
  const profile: KerberosProfile = { id: run.profileId, name: `Hazelcast realm ${realm.name} (Java)`, kind: 'custom', runtime: 'java', krb5Config: run.krb5Config, jaasConfig: jaasFile };
  const how = canonical ? ` (canonical host name of ${run.address}: ${canonical})` : realm.identity?.spn ? ' (static spn)' : ` (prefix + member address ${run.address})`;
  const steps = await runJavaFlow({
    supervisor: run.supervisor,
    profile,
    spn,
    flags: 0, // Hazelcast asks for no mutual authentication, confidentiality or integrity (KerberosCredentialsFactory)
    names: { login: loginName, ticket: `ticket for the member SPN ${spn}`, accept: 'authentication side accepts it' },
    about: { login: describe(identity, initiator), accept: describe(authentication, acceptor) },
    productName: (principal) => hazelcastUserName(principal, realm.authentication?.useNameWithoutRealm),
  });
  const ticket = steps.find((s) => s.name.startsWith('ticket'));
  if (ticket) ticket.detail += `; Hazelcast builds it as ${asked}${how}`;
  if (notes.length && steps[0]) steps[0].detail += ` — against the ${run.standIns.against}: ${[...new Set(notes)].join('; ')}`;
  return steps;
}
