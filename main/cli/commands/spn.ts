/** `kbench spn predict URL`: the SPN each client stack asks for, checked against the KDC and a keytab. */
import type { SpnPredictOptions } from '../../api/http';
import { EXIT_FAILURE, EXIT_OK, UsageError, type Command } from '../command';
import { json } from '../format';
import { invokeService } from '../invoke';
import { str } from '../password-options';
import { spnText } from './http-probe';

const predictCommand: Command = {
  name: 'predict',
  summary: 'which SPN MIT/curl, Java, Chromium and Firefox request for a URL; does the KDC know it, does the keytab hold its key',
  usage: [
    'spn predict URL [--profile lab|system|custom] [--realm R] [--krb5-conf F] [--ccache F] [--keytab F] [--chromium-allowlist LIST] [--chromium-port] [--no-cname-lookup] [--firefox-trusted-uris LIST] [--firefox-allow-non-fqdn] [--json]',
  ],
  details: `Follows each client stack from the URL's host to the SPN it would ask for: MIT/curl with the
profile's krb5.conf (dns_canonicalize_hostname, rdns), Java 17 (lower-cased host, an IP stays an IP),
Chromium (CNAME canonicalisation, --enable-auth-negotiate-port, --auth-server-allowlist) and Firefox
(network.negotiate-auth.trusted-uris). Each distinct SPN is then checked against the profile's KDC
(kvno) and a service keytab (--keytab; the lab's service keytab with --profile lab, the default).
Exit status 1 when a predicted SPN is unknown to the KDC or the keytab lacks its current key.`,
  options: {
    profile: { type: 'string' },
    realm: { type: 'string' },
    'krb5-conf': { type: 'string' },
    'krb5-config': { type: 'string' },
    ccache: { type: 'string' },
    keytab: { type: 'string' },
    'chromium-allowlist': { type: 'string' },
    'chromium-port': { type: 'boolean' },
    'no-cname-lookup': { type: 'boolean' },
    'firefox-trusted-uris': { type: 'string' },
    'firefox-allow-non-fqdn': { type: 'boolean' },
    json: { type: 'boolean' },
  },
  positionals: { min: 1, max: 1 },
  async run(input) {
    const { values, positionals, io } = input;
    const url = positionals[0]!;
    if (!/^https?:\/\//i.test(url)) throw new UsageError(`"${url}" is not an http:// or https:// URL`, predictCommand);
    const krb5Config = str(input, 'krb5-conf') ?? str(input, 'krb5-config');
    const profile = (str(input, 'profile') ?? (krb5Config || str(input, 'ccache') ? 'custom' : 'lab')) as NonNullable<SpnPredictOptions['profile']>;
    if (!['lab', 'system', 'custom'].includes(profile)) throw new UsageError(`--profile must be lab, system or custom, not "${profile}"`, predictCommand);
    const browsers = {
      ...(str(input, 'chromium-allowlist') !== undefined ? { chromiumAllowlist: str(input, 'chromium-allowlist')! } : {}),
      ...(values['chromium-port'] ? { chromiumPort: true } : {}),
      ...(values['no-cname-lookup'] ? { chromiumCnameLookup: false } : {}),
      ...(str(input, 'firefox-trusted-uris') !== undefined ? { firefoxTrustedUris: str(input, 'firefox-trusted-uris')! } : {}),
      ...(values['firefox-allow-non-fqdn'] ? { firefoxAllowNonFqdn: true } : {}),
    };
    const report = await invokeService(input.engine(), 'negotiate', 'predictSpn', {
      url,
      profile,
      ...(str(input, 'realm') ? { realm: str(input, 'realm')! } : {}),
      ...(krb5Config ? { krb5Config } : {}),
      ...(str(input, 'ccache') ? { ccache: str(input, 'ccache')! } : {}),
      ...(str(input, 'keytab') ? { keytab: str(input, 'keytab')! } : {}),
      ...(Object.keys(browsers).length ? { browsers } : {}),
    });
    io.stdout(values.json ? json(report) : `${spnText(report).join('\n')}\n`);
    const bad = report.checks.some((c) => c.kdcKnows === false || c.keytabHoldsCurrentKey === false);
    return bad ? EXIT_FAILURE : EXIT_OK;
  },
};

export const spnCommand: Command = {
  name: 'spn',
  summary: 'Which SPN each client stack asks for, and whether the KDC and keytab agree',
  usage: ['spn predict URL'],
  subcommands: [predictCommand],
};
