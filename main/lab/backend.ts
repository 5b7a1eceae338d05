/**
 * What a lab realm is, whatever runs its KDC: MIT's krb5kdc (mit/realm.ts) or a Samba AD domain
 * controller (samba/realm.ts). The lab service picks the backend from the realm's settings
 * (`kind` in lab.json); everything a Kerberos client does against either — kinit, a krb5.conf that
 * points at the KDC, keys exported to a keytab — goes through this one shape.
 */
import dgram from 'node:dgram';
import net from 'node:net';

export type RealmKind = 'mit' | 'ad';

export type PrincipalSecret = { password: string } | { randkey: true };
export type KinitSecret = { password: string } | { keytab: string };

export interface RealmBackend {
  readonly kind: RealmKind;
  readonly dir: string;
  readonly realm: string;
  /** The KDC port (TCP and UDP) on the realm's loopback address. */
  readonly port: number;
  /** The krb5.conf every client of the realm uses (MIT's libraries: kinit, kvno, the GSS workers). */
  readonly krb5Conf: string;
  /** `base` with the variables that put a process in this realm. */
  env(base?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  /** A new principal (MIT) or account (AD) with a password or random keys. */
  addPrincipal(name: string, secret: PrincipalSecret): Promise<void>;
  /** New keys for an existing principal: kvno + 1. */
  changeKey(name: string, secret: PrincipalSecret): Promise<void>;
  /** Appends the principal's current keys to a keytab (nothing changes in the database). */
  exportKeys(keytabPath: string, principal: string): Promise<void>;
  /** kinit with a password (fed on stdin) or a keytab; returns the ccache path. */
  kinit(principal: string, secret: KinitSecret, options?: { ccache?: string }): Promise<string>;
  /** True when this realm's KDC answers on its port (a request for an unknown client comes back "not found"). */
  kdcAnswers(): Promise<boolean>;
}

export type RealmErrorCode = 'tool-missing' | 'setup' | 'kadmin' | 'kdc-start' | 'kinit';

export class RealmError extends Error {
  constructor(
    readonly code: RealmErrorCode,
    message: string,
    /** Tool output or a KDC log excerpt that explains the failure. */
    readonly detail?: string,
  ) {
    super(detail ? `${message}\n${detail}` : message);
    this.name = 'RealmError';
  }
}


/** A port free for both TCP and UDP on 127.0.0.1 right now (the KDC needs both). */
export async function freeLoopbackPort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const server = net.createServer();
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
    });
    const udpFree = await udpBindable(port);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (udpFree) return port;
  }
  throw new RealmError('setup', 'found no loopback port free for both TCP and UDP in 20 tries');
}

export function udpBindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', () => {
      socket.close();
      resolve(false);
    });
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
  });
}

export function tcpConnects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.setTimeout(1000);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}



/**
 * The krb5.conf a lab realm's clients use (MIT's libraries: kinit, kvno, the GSS workers): no DNS,
 * no reverse lookups, TCP first, RC4 allowed so a realm can hand out RC4 tickets on purpose.
 */
export function labKrb5Conf(options: {
  realm: string;
  /** The first line: what wrote it. */
  title: string;
  enctypes: readonly string[];
  /** Relations of the realm's [realms] block ("kdc = 127.0.0.1:88"). */
  realmLines: string[];
  /** Host names and domains mapped to the realm. */
  domains: string[];
  /** MIT's library log, when wanted. */
  logFile?: string;
}): string {
  const { realm } = options;
  const enctypes = options.enctypes.join(' ');
  return `# ${options.title}
[libdefaults]
  default_realm = ${realm}
  dns_lookup_kdc = false
  dns_lookup_realm = false
  dns_canonicalize_hostname = false
  rdns = false
  # TCP first: one connection per request, no UDP retransmit waits on loopback
  udp_preference_limit = 1
  ticket_lifetime = 10h
  renew_lifetime = 1d
  forwardable = true
  clockskew = 300
  permitted_enctypes = ${enctypes}
  default_tkt_enctypes = ${enctypes}
  default_tgs_enctypes = ${enctypes}
  # MIT 1.21+ refuses RC4 session keys without it; 1.20 ignores it (arcfour is permitted there)
  allow_rc4 = true
[realms]
  ${realm} = {
${options.realmLines.map((line) => `    ${line}\n`).join('')}  }
[domain_realm]
${options.domains.map((domain) => `  ${domain} = ${realm}\n`).join('')}${options.logFile ? `[logging]\n  default = FILE:${options.logFile}\n` : ''}`;
}
