/**
 * An unknown service principal, made specific. "Server mqtt/127.0.0.1@BENCH.TEST not found in
 * Kerberos database" names the principal the client asked for — built from the GSS name
 * service@host, so from the URL's host unless a service was given. The finding says that name,
 * and for a lab realm (the lab service lists its principals) the names the realm does have for
 * that service, and the --service that asks for one: the fix is a name to type, not a guess.
 * Other realms cannot be listed from here; the finding names the principal asked for only.
 */
import type { Finding } from '../api/diagnose';
import type { LabKind, LabService } from '../api/lab';

/** How MIT (older and 1.20's kvno), Heimdal (twice) and Java name the principal that was not found. */
const ASKED_PATTERNS = [
  /Server (\S+@\S+) not found in Kerberos database/i,
  /Server not found in Kerberos database while getting credentials for (\S+@[^\s:]+)/i,
  /Server \(([^)\s]+@[^)\s]+)\) unknown/i,
  /Server not found in database: (\S+@[^\s:]+)/i,
];

/** The principal the client asked for, as the first error text that names one has it. */
export function askedPrincipal(texts: readonly string[]): string | undefined {
  for (const text of texts) {
    for (const pattern of ASKED_PATTERNS) {
      const match = pattern.exec(text);
      if (match) return match[1];
    }
  }
  return undefined;
}

interface PrincipalName {
  service: string;
  host: string;
  realm: string;
}

function split(principal: string): PrincipalName | undefined {
  const match = /^([^/@]+)\/([^@]+)@(.+)$/.exec(principal);
  return match ? { service: match[1]!, host: match[2]!, realm: match[3]! } : undefined;
}

/** The realm's service principals (once each) and kind when it is one of the bench's lab realms; null when it is not (or cannot be read). */
async function labPrincipals(lab: LabService, realm: string): Promise<{ names: string[]; kind: LabKind } | null> {
  try {
    const status = await lab.status({ realm });
    if (status.state === 'absent') return null;
    return { names: [...new Set(status.principals.filter((p) => p.kind === 'service').map((p) => p.name))], kind: status.kind };
  } catch {
    return null;
  }
}

/** How to add a service principal to a lab realm of this kind. */
function addCommand(service: string, host: string, kind: LabKind): string {
  return kind === 'ad' ? `kbench lab account add svc-${service.toLowerCase()} --spn ${service}/${host}` : `kbench lab principal add ${service}/${host} --random`;
}

/** The cause and fix for this asked-for principal, with what the realm knows when it can be listed. */
export function explainAsked(asked: string, known: string[] | null, kind: LabKind = 'mit'): Pick<Finding, 'cause' | 'fix'> | undefined {
  const name = split(asked);
  if (!name) return undefined;
  const askedText = `The client asked the KDC for ${asked} (GSS name ${name.service}@${name.host})`;
  if (known?.includes(asked)) {
    // AD: the directory holds the name, yet its KDC found none — held twice, or by an account it will not use.
    return {
      cause: `${askedText}; ${name.realm}'s directory does hold ${asked}, yet its KDC answered "not found": the SPN is on more than one account, or its account cannot be used.`,
      fix: `See who holds it: kbench lab spn find ${name.service}/${name.host}${kind === 'ad' ? '' : ` --realm ${name.realm}`} — keep it on one account (kbench lab spn remove ${name.service}/${name.host} ACCOUNT).`,
    };
  }
  if (known === null) {
    return {
      cause: `${askedText}, and ${name.realm} has no principal by that name.`,
      fix: `Ask for the name the service is registered under (its keytab's principal: klist -k KEYTAB), e.g. --service ${name.service}@HOST.FQDN — or register ${asked}.`,
    };
  }
  const same = known.map(split).filter((k): k is PrincipalName => k?.service === name.service && k.realm === name.realm);
  if (same.length) {
    const options = same.map((k) => `--service ${k.service}@${k.host}`).join(' or ');
    return {
      cause: `${askedText}; ${name.realm} knows ${same.map((k) => `${k.service}/${k.host}@${k.realm}`).join(', ')} for that service.`,
      fix: `Ask for a name the realm knows: ${options} (the Service field in the Probe view). Or add ${name.service}/${name.host} to the lab realm and its service keytab: ${addCommand(name.service, name.host, kind)}.`,
    };
  }
  const services = known.length ? `; its services are ${known.join(', ')}` : '';
  return {
    cause: `${askedText}; ${name.realm} has no principal for service "${name.service}"${services}.`,
    fix: `Ask for a service the realm has, or add this one: ${addCommand(name.service, name.host, kind)}.`,
  };
}

/** Findings with the unknown-service one made specific (what was asked, what the realm knows). */
export async function withKnownServerNames(findings: Finding[], lab: LabService): Promise<Finding[]> {
  return Promise.all(
    findings.map(async (finding) => {
      if (finding.id !== 'server-unknown') return finding;
      const asked = askedPrincipal(finding.evidence.map((e) => e.text));
      const name = asked ? split(asked) : undefined;
      if (!asked || !name) return finding;
      const realm = await labPrincipals(lab, name.realm);
      const specific = explainAsked(asked, realm?.names ?? null, realm?.kind);
      return specific ? { ...finding, ...specific } : finding;
    }),
  );
}
