/**
 * The server principal as EMQX checks it. emqx_authn_kerberos_schema validates `principal` with
 * ^([a-zA-Z0-9._-]+)/([a-zA-Z0-9.-]+)(?:@([A-Z0-9.-]+))?$ and refuses anything else with
 * `invalid_server_principal_string`; the realm is optional there, but the authenticator then
 * takes the FQDN with "…/FQDN@" and fails on a principal without one. Its SASL server always
 * runs as service "mqtt" (emqx_auth_kerberos.hrl SERVICE), whatever the principal says.
 */
import { EMQX_PRINCIPAL_PATTERN as EMQX_PRINCIPAL } from '../../broker/kerberos-authenticators';

export const EMQX_SASL_SERVICE = 'mqtt';

export interface EmqxPrincipalIssue {
  severity: 'error' | 'warning';
  message: string;
  fix: string;
}

export interface EmqxPrincipal {
  principal: string;
  service?: string;
  host?: string;
  realm?: string;
  /** The GSS name clients ask a ticket for: "mqtt@host". */
  gssName?: string;
  issues: EmqxPrincipalIssue[];
}

function example(realm: string | undefined): string {
  return `"mqtt/broker.example.com@${realm || 'EXAMPLE.COM'}"`;
}

/** Why EMQX refuses a principal, in its words, and what to write instead. */
function refusal(text: string): EmqxPrincipalIssue {
  const realm = /@([^@]*)$/.exec(text)?.[1];
  const base = `invalid_server_principal_string: EMQX refuses principal "${text}"`;
  if (!text.includes('/')) {
    return { severity: 'error', message: `${base}: it has no host (EMQX wants service/FQDN@REALM)`, fix: `name the broker's host: principal = ${example(realm)} (the FQDN clients connect to)` };
  }
  const [service = '', rest = ''] = text.split('/', 2);
  const host = rest.split('@')[0] ?? '';
  if (service === '') return { severity: 'error', message: `${base}: the service before "/" is empty`, fix: `write principal = ${example(realm)}` };
  if (host === '') return { severity: 'error', message: `${base}: the host between "/" and "@" is empty`, fix: `put the broker's FQDN there: principal = ${example(realm)}` };
  if (realm && realm !== realm.toUpperCase()) return { severity: 'error', message: `${base}: EMQX accepts only an upper-case realm ("${realm}")`, fix: `write the realm as ${realm.toUpperCase()}` };
  return { severity: 'error', message: `${base}: only letters, digits, ".", "_" and "-" are allowed in service/FQDN@REALM`, fix: `write principal = ${example(realm)}` };
}

export function checkEmqxPrincipal(text: string): EmqxPrincipal {
  const match = EMQX_PRINCIPAL.exec(text);
  if (!match) return { principal: text, issues: [refusal(text)] };
  const [, service = '', host = '', realm] = match;
  const issues: EmqxPrincipalIssue[] = [];
  if (!realm) {
    issues.push({
      severity: 'error',
      message: `principal "${text}" has no @REALM: EMQX's schema takes it, but its authenticator reads the FQDN from "service/FQDN@" and fails on every client`,
      fix: `add the realm: principal = "${text}@REALM" (e.g. ${example(undefined)})`,
    });
  }
  if (service !== EMQX_SASL_SERVICE) {
    issues.push({
      severity: 'warning',
      message: `EMQX's SASL server runs as service "${EMQX_SASL_SERVICE}" whatever the principal says: clients ask for ${EMQX_SASL_SERVICE}@${host}, not ${service}@${host}`,
      fix: `use principal = "${EMQX_SASL_SERVICE}/${host}${realm ? `@${realm}` : ''}" and put its key in the default keytab`,
    });
  }
  return { principal: text, service, host, ...(realm ? { realm } : {}), gssName: `${service}@${host}`, issues };
}

/** The first error, or null when EMQX (and the bench's broker) take the principal. */
export function emqxPrincipalError(text: string): EmqxPrincipalIssue | null {
  return checkEmqxPrincipal(text).issues.find((i) => i.severity === 'error') ?? null;
}
