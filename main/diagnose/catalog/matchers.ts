/**
 * Small constructors for catalog matchers, so entries read as data and every com_err matcher takes
 * its code from com-err.ts (a misspelt name fails as soon as the catalog loads).
 */
import type { CatalogMatcher, Dialect } from '../../api/diagnose';
import { comErrCode, gssMajor } from '../com-err';

/** A message as one implementation words it; `pattern` is a case-insensitive regular-expression source. */
export function message(dialect: Dialect, pattern: string, example: string): CatalogMatcher {
  return { kind: 'message', dialect, pattern, example };
}

/** An MIT com_err code by name, with the number from the table. */
export function comErr(name: string): CatalogMatcher {
  const code = comErrCode(name);
  if (code === undefined) throw new Error(`catalog: no com_err code named ${name}`);
  return { kind: 'com-err', code, name };
}

/** A KRB-ERROR error-code (RFC 4120 §7.5.9). */
export function krbError(code: number): CatalogMatcher {
  return { kind: 'krb-error', code };
}

/** A GSS major status by RFC 2744 name, optionally narrowed by a minor-status text pattern. */
export function gss(major: string, minor?: string): CatalogMatcher {
  if (!gssMajor(major)) throw new Error(`catalog: no GSS major status named ${major}`);
  return minor === undefined ? { kind: 'gss', major } : { kind: 'gss', major, minor };
}

/** An MQTT 5 reason code: supporting evidence only, never enough on its own. */
export function mqttReason(code: number): CatalogMatcher {
  return { kind: 'mqtt-reason', code };
}
