/**
 * The krb5.conf a Java server (Hazelcast, any JAAS application) is started with
 * (-Djava.security.krb5.conf=…): the model's realm, KDCs and [libdefaults]. Java reads only
 * [libdefaults], [realms] and [domain_realm]; a few relations mean something else to it than
 * to MIT, so they are written the way both read them alike.
 */
import type { ExportModel } from '../types';

/** A relation value as both parsers read it (Java takes a bare kdc_timeout as milliseconds, MIT as seconds). */
function javaSafe(tag: string, value: string): string {
  if (tag === 'kdc_timeout' && /^\d+$/.test(value)) return `${value}s`;
  return value;
}

export function javaKrb5ConfText(model: ExportModel, forWhat: string): string {
  const libdefaults: Record<string, string> = { default_realm: model.realm, ...model.libdefaults };
  const lines = [`# krb5.conf for ${forWhat} (realm ${model.realm}) — written by Kerberos Bench`, '[libdefaults]'];
  for (const [tag, value] of Object.entries(libdefaults)) lines.push(`  ${tag} = ${javaSafe(tag, value)}`);
  lines.push('[realms]', `  ${model.realm} = {`);
  for (const kdc of model.kdcs) lines.push(`    kdc = ${kdc}`);
  if (model.adminServer) lines.push(`    admin_server = ${model.adminServer}`);
  lines.push('  }');
  if (model.domainRealm.length) {
    lines.push('[domain_realm]');
    for (const { domain, realm } of model.domainRealm) lines.push(`  ${domain} = ${realm}`);
  }
  return `${lines.join('\n')}\n`;
}
