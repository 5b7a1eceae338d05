/**
 * The EMQX node's files as text: the authentication block in HOCON (EMQX 5, emqx_auth_kerberos:
 * mechanism = gssapi, backend = kerberos, principal), the krb5.conf whose default_keytab_name
 * is where EMQX reads its key (it reads no other keytab), and a README with the packages, the
 * keytab's place and the dashboard steps. Pure functions of the model.
 */
import { krb5ConfText } from '../krb5/write';
import type { ExportModel } from '../types';

/** Where the exported krb5.conf says the keytab is: EMQX reads only the default keytab. */
export const EMQX_KEYTAB_PATH = '/etc/emqx/mqtt.keytab';
export const EMQX_PACKAGES = { debian: 'libsasl2-2 libsasl2-modules-gssapi-mit', redhat: 'krb5-libs cyrus-sasl-gssapi' } as const;

/** A HOCON quoted string: JSON's string syntax is HOCON's (HOCON.md "Quoted strings"). */
export function hoconString(text: string): string {
  return JSON.stringify(text);
}

export function authenticationConf(principal: string, basis: string): string {
  return [
    `# EMQX 5 authentication: Kerberos (MQTT 5 enhanced authentication "GSSAPI-KERBEROS").`,
    `# Made by Kerberos Bench from ${basis}. Put this block in etc/emqx.conf (or base.hocon),`,
    `# or create the same authenticator in the dashboard (see README.md).`,
    `authentication = [`,
    `  {`,
    `    mechanism = gssapi`,
    `    backend = kerberos`,
    `    principal = ${hoconString(principal)}`,
    `    enable = true`,
    `  }`,
    `]`,
    ``,
  ].join('\n');
}

/** krb5.conf for the EMQX node: the realm, its KDCs, and default_keytab_name → the keytab EMQX will read. */
export function emqxKrb5Conf(model: ExportModel, realm: string): string {
  const header = ["krb5.conf for the EMQX node: /etc/krb5.conf (or KRB5_CONFIG in EMQX's environment).", 'EMQX reads only the default keytab: default_keytab_name below, or KRB5_KTNAME.'];
  return krb5ConfText({ ...model, realm }, { header, keytab: `FILE:${EMQX_KEYTAB_PATH}` });
}

/** The steps left to the user, shared by the README and the export's notes. */
export function emqxSteps(principal: string): { keytab: string[]; dashboard: string[]; packages: string[] } {
  return {
    packages: [`Debian/Ubuntu: sudo apt-get install -y ${EMQX_PACKAGES.debian}`, `Red Hat: sudo dnf install -y ${EMQX_PACKAGES.redhat}`],
    keytab: [
      `Copy mqtt.keytab to ${EMQX_KEYTAB_PATH} on every EMQX node, owned by the user EMQX runs as, mode 0600 (chown emqx:emqx; chmod 600).`,
      `EMQX reads only the default keytab: install krb5.conf as /etc/krb5.conf (its default_keytab_name is ${EMQX_KEYTAB_PATH}),` +
        ` or set KRB5_KTNAME=FILE:${EMQX_KEYTAB_PATH} in EMQX's service environment (systemd: Environment=KRB5_KTNAME=FILE:${EMQX_KEYTAB_PATH}).`,
      `The keytab must hold the current key of ${principal} (klist -k ${EMQX_KEYTAB_PATH} lists its kvno; kvno ${principal} prints the KDC's).`,
    ],
    dashboard: [
      'EMQX Dashboard → Access Control → Authentication → Create.',
      'Mechanism: GSSAPI; Backend: Kerberos; Next.',
      `Principal: ${principal}; Create (the keytab field shows the default keytab: it must be ${EMQX_KEYTAB_PATH}).`,
    ],
  };
}

export function emqxReadme(principal: string, basis: string, keytabWithheld: boolean): string {
  const steps = emqxSteps(principal);
  const list = (items: string[]) => items.map((item, i) => `${i + 1}. ${item}`);
  const withheld = ` (withheld: export again with --reveal-secrets, or make it with \`kadmin -q "ktadd -k ${EMQX_KEYTAB_PATH} ${principal}"\`)`;
  return [
    `# EMQX with Kerberos (GSSAPI-KERBEROS)`,
    ``,
    `Made by Kerberos Bench from ${basis}. Clients authenticate with MQTT 5 enhanced authentication,`,
    `method \`GSSAPI-KERBEROS\`, asking for a ticket for \`mqtt@HOST\` (the host of the principal).`,
    ``,
    `## Files`,
    ``,
    `- \`authentication.conf\`: the authenticator (HOCON) for \`etc/emqx.conf\`.`,
    `- \`krb5.conf\`: \`/etc/krb5.conf\` on the EMQX node.`,
    `- \`mqtt.keytab\`: the key of \`${principal}\`, for \`${EMQX_KEYTAB_PATH}\`${keytabWithheld ? withheld : ''}.`,
    ``,
    `## Packages (Cyrus SASL's GSSAPI plugin on MIT Kerberos)`,
    ``,
    ...steps.packages.map((p) => `- ${p}`),
    ``,
    `## Where the keytab goes`,
    ``,
    ...list(steps.keytab),
    ``,
    `## Dashboard`,
    ``,
    ...list(steps.dashboard),
    ``,
    `Or put \`authentication.conf\`'s block in \`etc/emqx.conf\` and restart EMQX.`,
    ``,
  ].join('\n');
}
