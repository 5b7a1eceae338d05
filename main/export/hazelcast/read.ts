/**
 * A Hazelcast configuration (XML or YAML, as a ConfigNode tree) read into HazelcastSecurity:
 * every setting the bench uses with its line, every one it does not with its line and why, and
 * the problems Hazelcast itself would stop at (a security-realm or member-authentication naming
 * a realm that is not defined, spn with service-name-prefix …), each with a fix.
 */
import type { ImportProblem, ImportSetting, ImportUnused } from '../../api/export';
import type { HazelcastKerberosAuthentication, HazelcastKerberosIdentity, HazelcastLoginModule, HazelcastRealm, HazelcastSecurity } from '../../api/hazelcast';
import { KRB5_LOGIN_MODULE } from '../../gss/java/jaas';
import { AUTHENTICATION_FIELDS, attrOrChild, child, IDENTITY_FIELDS, type ConfigNode, type Field } from './schema';
import { HZ_REALM_AND_KEYTAB, HZ_SPN_AND_PREFIX } from './security';

export interface SecurityReading {
  security: HazelcastSecurity | null;
  understood: ImportSetting[];
  unused: ImportUnused[];
  problems: ImportProblem[];
}

const OTHER_AUTHENTICATION = 'not Kerberos: the bench runs the kerberos and jaas (Krb5LoginModule) authentication only';
const OTHER_IDENTITY = 'not Kerberos: the bench runs the kerberos identity only';
const WHY_BY_NAME: Record<string, string> = {
  ldap: 'LDAP role mapping after Kerberos is not run by the bench (Kerberos authentication is)',
  'client-permissions': 'permissions are not checked by the bench (authentication is)',
  'client-permission-policy': 'permissions are not checked by the bench (authentication is)',
  'security-interceptors': 'interceptors are not run by the bench',
  'client-block-unmapped-actions': 'permissions are not checked by the bench (authentication is)',
};

class Reader {
  readonly out: SecurityReading = { security: null, understood: [], unused: [], problems: [] };
  /** Lines of the settings the checks point at: "realm|side|element". */
  readonly lines = new Map<string, number>();

  constructor(readonly file: string) {}

  use(key: string, value: string, line: number, use?: string): void {
    this.out.understood.push({ key, value, file: this.file, line, ...(use ? { use } : {}) });
  }

  skip(key: string, node: ConfigNode, why: string): void {
    this.out.unused.push({ key, ...(node.value ? { value: node.value } : {}), file: this.file, line: node.line, why });
  }

  problem(line: number, severity: 'error' | 'warning', message: string, fix?: string): void {
    this.out.problems.push({ file: this.file, line, severity, message, ...(fix ? { fix } : {}) });
  }
}

function fields<T extends object>(r: Reader, node: ConfigNode, list: Field<T>[], prefix: string, tag: string): T {
  const out = {} as Record<string, unknown>;
  for (const item of node.children) {
    const field = list.find((f) => f.element === item.name);
    if (!field) {
      r.skip(`${prefix}.${item.name}`, item, WHY_BY_NAME[item.name] ?? `not a setting of ${tag} the bench knows`);
      continue;
    }
    const value = item.value ?? '';
    if (field.type === 'boolean' && value !== 'true' && value !== 'false') {
      r.problem(item.line, 'warning', `${prefix}.${item.name} is "${value}", not true or false`, `write ${item.name} as true or false`);
      continue;
    }
    out[field.key] = field.type === 'boolean' ? value === 'true' : value;
    r.lines.set(`${prefix}|${item.name}`, item.line);
    r.use(`${prefix}.${item.name}`, value, item.line);
  }
  return out as T;
}

function loginModule(r: Reader, node: ConfigNode, prefix: string): HazelcastLoginModule {
  const className = attrOrChild(node, 'class-name');
  const usage = attrOrChild(node, 'usage');
  const module: HazelcastLoginModule = { className: className?.value ?? '', usage: usage?.value ?? 'REQUIRED', properties: {} };
  const krb5 = module.className === KRB5_LOGIN_MODULE;
  if (krb5) r.use(`${prefix}.class-name`, module.className, className!.line, 'the Java engine logs in with it');
  else r.skip(`${prefix}.class-name`, { ...node, value: module.className }, `the bench runs ${KRB5_LOGIN_MODULE} only`);
  if (usage) r.use(`${prefix}.usage`, usage.value, usage.line);
  for (const item of child(node, 'properties')?.children ?? []) {
    const name = item.name === 'property' && item.attrs.name !== undefined ? item.attrs.name : item.name;
    module.properties[name] = item.value ?? '';
    if (krb5) r.use(`${prefix}.properties.${name}`, item.value ?? '', item.line, 'Krb5LoginModule option');
  }
  for (const item of node.children) if (!['class-name', 'usage', 'properties'].includes(item.name)) r.skip(`${prefix}.${item.name}`, item, 'not part of a login module');
  return module;
}

function authentication(r: Reader, node: ConfigNode, realm: HazelcastRealm, prefix: string): void {
  for (const item of node.children) {
    const key = `${prefix}.authentication.${item.name}`;
    if (item.name === 'kerberos') realm.authentication = fields<HazelcastKerberosAuthentication>(r, item, AUTHENTICATION_FIELDS, `${prefix}.authentication.kerberos`, '<authentication><kerberos>');
    else if (item.name === 'jaas') realm.jaas = item.children.map((m, i) => loginModule(r, m, `${key}[${i}]`));
    else r.skip(key, item, OTHER_AUTHENTICATION);
  }
}

function realmOf(r: Reader, node: ConfigNode, index: number): HazelcastRealm {
  const name = attrOrChild(node, 'name');
  const realm: HazelcastRealm = { name: name?.value ?? `#${index + 1}`, line: node.line };
  if (!name) r.problem(node.line, 'error', `realm #${index + 1} has no name`, 'give the realm a name (name="…")');
  const prefix = `security.realms[${realm.name}]`;
  if (name) r.use(`${prefix}.name`, name.value, name.line);
  for (const item of node.children) {
    if (item.name === 'name') continue;
    if (item.name === 'authentication') authentication(r, item, realm, prefix);
    else if (item.name === 'identity') {
      for (const id of item.children) {
        if (id.name === 'kerberos') realm.identity = fields<HazelcastKerberosIdentity>(r, id, IDENTITY_FIELDS, `${prefix}.identity.kerberos`, '<identity><kerberos>');
        else r.skip(`${prefix}.identity.${id.name}`, id, OTHER_IDENTITY);
      }
    } else r.skip(`${prefix}.${item.name}`, item, 'not read by the bench');
  }
  return realm;
}

/** The <security> element wherever the file has it: <hazelcast><security>, a bare <security>, or YAML hazelcast: security:. */
function findSecurity(r: Reader, root: ConfigNode): ConfigNode | undefined {
  const top = root.name === '' ? (child(root, 'hazelcast') ?? root) : root;
  if (top.name === 'security') return top;
  for (const item of top.children) if (item.name !== 'security') r.skip(`hazelcast.${item.name}`, { ...item, value: undefined }, 'not part of the security section: the bench reads <security> only');
  return child(top, 'security');
}

function securityOf(r: Reader, node: ConfigNode): HazelcastSecurity {
  const enabled = attrOrChild(node, 'enabled');
  const security: HazelcastSecurity = { enabled: enabled?.value === 'true', realms: [] };
  if (enabled) r.use('security.enabled', enabled.value, enabled.line);
  if (!security.enabled) r.problem(enabled?.line ?? node.line, 'warning', 'security is not enabled: Hazelcast ignores every realm', 'set enabled="true" on <security> (YAML: enabled: true)');
  for (const item of node.children) {
    if (item.name === 'enabled') continue;
    if (item.name === 'realms') security.realms = item.children.map((realm, i) => realmOf(r, realm, i));
    else if (item.name === 'member-authentication' || item.name === 'client-authentication') {
      const realm = attrOrChild(item, 'realm');
      if (!realm) continue;
      if (item.name === 'member-authentication') security.memberAuthentication = realm.value;
      else security.clientAuthentication = realm.value;
      r.lines.set(`${item.name}`, realm.line);
      r.use(`security.${item.name}.realm`, realm.value, realm.line, item.name === 'member-authentication' ? 'the realm members authenticate each other with' : 'the realm clients authenticate with');
    } else r.skip(`security.${item.name}`, { ...item, value: undefined }, WHY_BY_NAME[item.name] ?? 'not read by the bench');
  }
  return security;
}

export function readSecurity(root: ConfigNode, file: string): SecurityReading {
  const r = new Reader(file);
  const node = findSecurity(r, root);
  if (!node) {
    r.problem(1, 'error', 'no security section (<security> in hazelcast.xml, hazelcast: security: in hazelcast.yaml)', 'add <security enabled="true"> with a realm whose identity and authentication are kerberos');
    return r.out;
  }
  const security = securityOf(r, node);
  checkSecurity(r, security, node.line);
  r.out.problems.sort((a, b) => a.line - b.line);
  r.out.security = security;
  return r.out;
}

// ---- checks -------------------------------------------------------------------------------------

function checkReference(r: Reader, security: HazelcastSecurity, realm: HazelcastRealm, side: 'identity' | 'authentication', target: string): void {
  const prefix = `security.realms[${realm.name}].${side}.kerberos`;
  const line = r.lines.get(`${prefix}|security-realm`) ?? realm.line ?? 1;
  const initiator = side === 'identity';
  const referenced = security.realms.find((x) => x.name === target);
  const names = security.realms.map((x) => x.name).join(', ');
  if (!referenced) {
    r.problem(line, 'error', `realm "${realm.name}": the ${side}'s security-realm "${target}" is not defined (realms: ${names})`,
      `add <realm name="${target}"> with a ${KRB5_LOGIN_MODULE} login module (isInitiator=${initiator}, useKeyTab=true, keyTab, principal), or replace security-realm with principal and keytab-file`);
  } else if (!referenced.jaas?.some((m) => m.className === KRB5_LOGIN_MODULE)) {
    r.problem(line, 'warning', `realm "${realm.name}": security-realm "${target}" has no ${KRB5_LOGIN_MODULE} login module, so the ${side} gets no Kerberos credentials`, `give realm "${target}" a <jaas> ${KRB5_LOGIN_MODULE} login module`);
  }
}

function checkSide(r: Reader, security: HazelcastSecurity, realm: HazelcastRealm, side: 'identity' | 'authentication'): void {
  const config = realm[side];
  if (!config) return;
  const prefix = `security.realms[${realm.name}].${side}.kerberos`;
  if (config.securityRealm) checkReference(r, security, realm, side, config.securityRealm);
  const keyLine = r.lines.get(`${prefix}|principal`) ?? r.lines.get(`${prefix}|keytab-file`) ?? realm.line ?? 1;
  if (config.securityRealm && (config.principal || config.keytabFile)) {
    r.problem(keyLine, side === 'identity' ? 'error' : 'warning', `realm "${realm.name}" ${side}: ${HZ_REALM_AND_KEYTAB}`, 'keep either security-realm or principal + keytab-file');
  }
  if (!config.securityRealm && config.keytabFile && !config.principal) {
    r.problem(keyLine, 'warning', `realm "${realm.name}" ${side}: keytab-file without principal — Krb5LoginModule gets no principal to log in as`, 'add principal (the keytab\'s principal)');
  }
  if (!config.securityRealm && config.principal && !config.keytabFile) {
    r.problem(keyLine, 'warning', `realm "${realm.name}" ${side}: principal without keytab-file — Hazelcast makes no login realm without a keytab path`, 'add keytab-file');
  }
  if (side === 'identity') {
    const identity = realm.identity!;
    if (identity.spn !== undefined && identity.serviceNamePrefix !== undefined) {
      r.problem(r.lines.get(`${prefix}|spn`) ?? keyLine, 'error', `realm "${realm.name}" identity: ${HZ_SPN_AND_PREFIX}`, 'keep spn (one SPN for every member) or service-name-prefix (prefix + member address)');
    }
  }
}

function checkAuthenticationRealm(r: Reader, security: HazelcastSecurity, which: 'member-authentication' | 'client-authentication'): void {
  const name = which === 'member-authentication' ? security.memberAuthentication : security.clientAuthentication;
  if (name === undefined || security.realms.some((x) => x.name === name)) return;
  const names = security.realms.map((x) => x.name);
  r.problem(r.lines.get(which) ?? 1, 'error', `${which} names realm "${name}", which is not defined (realms: ${names.join(', ') || 'none'})`,
    names.length ? `set <${which} realm="…"/> to one of ${names.join(', ')}, or add <realm name="${name}">` : `add <realm name="${name}">`);
}

function checkSecurity(r: Reader, security: HazelcastSecurity, line: number): void {
  for (const realm of security.realms) {
    checkSide(r, security, realm, 'identity');
    checkSide(r, security, realm, 'authentication');
  }
  checkAuthenticationRealm(r, security, 'member-authentication');
  checkAuthenticationRealm(r, security, 'client-authentication');
  if (!security.realms.some((x) => x.identity || x.authentication)) {
    r.problem(line, 'error', 'no realm has a kerberos identity or authentication', 'add a realm with <identity><kerberos> and <authentication><kerberos>, and point member-authentication at it');
  }
}
