/**
 * JAAS login configuration text for Krb5LoginModule entries, with values quoted the way Java's
 * ConfigFile parser reads them (main/gss/java/jaas.ts: jaasValue refuses "${" and line breaks).
 * Entry names are the ones Java GSS looks up itself, which the bench's Java worker takes first
 * (resources/java/kbench/Logins.java).
 */
import { jaasValue, KRB5_LOGIN_MODULE } from '../../gss/java/jaas';

export const JAAS_KRB5_INITIATE = 'com.sun.security.jgss.krb5.initiate';
export const JAAS_KRB5_ACCEPT = 'com.sun.security.jgss.krb5.accept';

/** Krb5LoginModule options, as strings (the form Hazelcast's <property> and JAAS both hand the module). */
export type LoginOptions = Record<string, string>;

/** JAAS control flags: Hazelcast writes them upper case (REQUIRED), JAAS files lower case. */
function controlFlag(usage: string | undefined): string {
  return (usage ?? 'required').toLowerCase();
}

/** Booleans are written bare, everything else quoted; both reach the module as the same string. */
function optionLine(key: string, value: string): string {
  return /^(true|false)$/.test(value) ? `    ${key}=${value}` : `    ${key}=${jaasValue(value, key)}`;
}

/** One entry; throws a GssError ('guard') for a value Java's parser would change. */
export function jaasEntryText(name: string, options: LoginOptions, module: { className?: string; usage?: string; comment?: string } = {}): string {
  const lines = Object.entries(options).map(([key, value]) => optionLine(key, value));
  const comment = module.comment ? `// ${module.comment}\n` : '';
  return `${comment}${name} {\n  ${module.className ?? KRB5_LOGIN_MODULE} ${controlFlag(module.usage)}\n${lines.join('\n')};\n};\n`;
}
