/**
 * Active Directory's own failures: the directory holds something the KDC cannot use. The KDC's
 * answer to the client hides the cause ("Server not found in Kerberos database" for an SPN two
 * accounts hold), so the entries also match what Windows says about it — the KDC's event and
 * setspn's — and the diagnosis asks an AD lab realm's directory itself (diagnose/ad/findings.ts).
 */
import type { CatalogEntry } from '../../api/diagnose';
import { message } from './matchers';

const r = String.raw;

export const AD_ENTRIES: readonly CatalogEntry[] = [
  {
    id: 'duplicate-spn',
    title: 'The same SPN is registered on more than one account',
    explanation:
      'A service principal name must belong to exactly one account in the forest: the KDC encrypts the service ticket with that account\'s key. ' +
      'When two accounts hold the same SPN, the KDC cannot tell which key to use, and it answers as if none held it — the client sees "Server not found in Kerberos database" (KDC_ERR_S_PRINCIPAL_UNKNOWN), the same error as for an SPN that was never registered. ' +
      'Windows DCs log event 11 ("The KDC encountered duplicate names"); clients may fall back to NTLM. AD refuses a duplicate through setspn -S and LDAP since Windows Server 2012 R2, so duplicates come from setspn -A on older tools, migrations, restores, or direct edits of the directory.',
    matchers: [
      message('Windows', r`The KDC encountered duplicate names while processing a Kerberos authentication request`, 'The KDC encountered duplicate names while processing a Kerberos authentication request. The duplicate name is mqtt/broker.example.com (of type DS_SERVICE_PRINCIPAL_NAME). This may result in authentication failures or downgrades to NTLM. In order to prevent this from occurring remove the duplicate entries for mqtt/broker.example.com in Active Directory.'),
      message('Windows', r`found \d+ groups? of duplicate SPNs`, 'Checking domain DC=example,DC=com\nmqtt/broker.example.com is registered on these accounts:\n\tCN=svc-mqtt,CN=Users,DC=example,DC=com\n\tCN=svc-old,CN=Users,DC=example,DC=com\n\nfound 1 group of duplicate SPNs.'),
      message('Windows', r`Duplicate SPN found, aborting operation`, 'Checking domain DC=example,DC=com\nCN=svc-mqtt,CN=Users,DC=example,DC=com\n\tmqtt/broker.example.com\n\nDuplicate SPN found, aborting operation!'),
    ],
    causes: [
      'The SPN was added to a second account (setspn -A, a script, an ADSI edit) while the first still holds it — often a service moved to a new service account and the old one kept its SPNs.',
      'A computer was re-joined or renamed and a service account also holds its host-based SPN.',
      'Objects restored or migrated from another domain brought their SPNs along.',
    ],
    fixes: [
      {
        platform: 'Active Directory',
        text: 'Find every account holding the SPN, keep it on the one whose keys the service\'s keytab holds, and delete it from the others (setspn on Windows, samba-tool on a Samba DC).',
        commands: ['setspn -Q SERVICE/HOST.FQDN', 'setspn -X', 'setspn -D SERVICE/HOST.FQDN DOMAIN\\ACCOUNT', 'samba-tool spn delete SERVICE/HOST.FQDN ACCOUNT'],
      },
      {
        platform: 'any',
        text: 'Ask the directory who holds the SPN (any LDAP client, bound as a domain user).',
        commands: ['ldapsearch -H ldap://DC_HOST -b "DC=example,DC=com" "(servicePrincipalName=SERVICE/HOST.FQDN)" sAMAccountName'],
      },
    ],
    reproduce: {
      scenario: 'ad-duplicate-spn',
      recipe: 'On a throwaway domain, register the SPN on a second account past the uniqueness check (on a Samba DC: ldbmodify the domain partition\'s .ldb directly), then kinit a user and run kvno SERVICE/HOST.',
    },
    related: ['server-unknown', 'keytab-wrong-key'],
  },
];
