/**
 * PACs a real DC wrote: alice's tickets from the shared Samba 4.17 AD DC (her TGT, a service ticket
 * for mqtt/localhost got with MIT kvno, an RC4 one for an account without
 * msDS-SupportedEncryptionTypes), opened by the Decoder service with the service keytab and the
 * krbtgt keytab the lab exports. Every buffer decodes; the server, KDC, ticket and full signatures
 * verify with the key each needs, and without the krbtgt key the KDC's say which key they need.
 */
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeySource, TreeNode } from '../../main/api/inspect';
import type { LabKeytabExport, LabStatus } from '../../main/api/lab';
import { CcacheServiceImpl, DecoderServiceImpl } from '../../main/inspect/service';
import { runTool } from '../../main/system/exec';
import { AD_HOOK_TIMEOUT_MS, AD_SKIP_REASON, openAdLab, uniqueAccount, type AdLabHandle } from '../helpers/ad-lab';

/** Every node of a tree, decrypted parts included. */
function nodes(node: TreeNode): TreeNode[] {
  return [node, ...(node.children ?? []).flatMap(nodes), ...(node.decrypted ? nodes(node.decrypted.tree) : [])];
}

const byType = (tree: TreeNode, type: string) => nodes(tree).find((n) => n.type === type);
const child = (node: TreeNode | undefined, name: string) => node?.children?.find((c) => c.name === name);
const verification = (tree: TreeNode, type: string) => child(byType(tree, type), 'verification');

describe.skipIf(AD_SKIP_REASON)('PACs from a Samba AD DC, decoded and verified', () => {
  let ad: AdLabHandle;
  let status: LabStatus;
  let dir: string;
  let ccache: string;
  let krbtgt: LabKeytabExport;
  const decoder = new DecoderServiceImpl();

  beforeAll(async () => {
    ad = await openAdLab();
    status = ad.status;
    dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-ad-pac-'));
    // A copy of alice's ccache: kvno adds its service tickets there, not to the lab's.
    ccache = path.join(dir, 'alice.ccache');
    await copyFile(status.ccache.path, ccache);
    krbtgt = await ad.lab.exportKeytab({ kind: 'ad', path: path.join(dir, 'krbtgt.keytab'), principals: ['krbtgt'] });
  }, AD_HOOK_TIMEOUT_MS);
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    await ad?.close();
  });

  const env = (): NodeJS.ProcessEnv => {
    const out: NodeJS.ProcessEnv = { ...process.env, KRB5_CONFIG: status.krb5Conf, KRB5CCNAME: `FILE:${ccache}` };
    delete out.KRB5_TRACE;
    return out;
  };

  /** The Ticket (base64) alice's ccache holds for `server`, after kvno got it when it is a service. */
  async function ticketFor(server: string): Promise<string> {
    if (!server.startsWith('krbtgt/')) {
      const kvno = await runTool('kvno', [server], { env: env() });
      expect(kvno.ok, kvno.stderr).toBe(true);
    }
    const report = await new CcacheServiceImpl().read({ path: ccache });
    const credential = report.credentials.find((c) => c.server === server);
    if (!credential) throw new Error(`no ticket for ${server} in ${report.credentials.map((c) => c.server).join(', ')}`);
    return credential.ticket;
  }

  const keytab = (file: string): KeySource => ({ kind: 'keytab', source: { path: file } });

  it('exports the krbtgt key as krbtgt/AD.TEST@AD.TEST', () => {
    expect(krbtgt.entries.length).toBeGreaterThan(0);
    expect(new Set(krbtgt.entries.map((e) => e.principal))).toEqual(new Set([`krbtgt/${status.realm}@${status.realm}`]));
    expect(krbtgt.entries.map((e) => e.enctype)).toContain('aes256-cts-hmac-sha1-96');
  });

  it("decodes a service ticket's PAC — logon info, client info, UPN — and verifies the server, KDC, ticket and full signatures", async () => {
    const report = await decoder.decode({ text: await ticketFor(`mqtt/localhost@${status.realm}`) }, [keytab(status.keytabs.service), keytab(krbtgt.path)], false);
    const pac = byType(report.tree, 'PACTYPE');
    expect(pac, 'the ticket carries a PAC').toBeDefined();
    // Samba 4.17 service tickets: no PAC_ATTRIBUTES_INFO / PAC_REQUESTOR (those are in the TGT), but the ticket and full signatures.
    expect(pac!.value).toBe('KERB_VALIDATION_INFO, PAC_CLIENT_INFO, UPN_DNS_INFO, PAC_SERVER_CHECKSUM, PAC_PRIVSVR_CHECKSUM, PAC_TICKET_CHECKSUM, PAC_FULL_CHECKSUM');
    expect(nodes(pac!).filter((n) => n.error)).toEqual([]);

    const logon = nodes(pac!).find((n) => n.name === 'KERB_VALIDATION_INFO' && n.type === 'KERB_VALIDATION_INFO')!;
    const field = (name: string) => logon.children!.filter((c) => c.name === name).at(-1)?.value;
    expect(field('EffectiveName')).toBe('alice');
    expect(field('LogonDomainName')).toBe('AD');
    expect(field('PrimaryGroupId')).toBe(513);
    const groups = nodes(logon).filter((n) => n.type === 'GROUP_MEMBERSHIP').map((n) => child(n, 'RelativeId')?.value);
    expect(groups).toContain(513); // Domain Users
    const domainSid = String(field('LogonDomainId'));
    expect(domainSid).toMatch(/^S-1-5-21-\d+-\d+-\d+$/);
    // Samba adds the "authentication authority asserted identity" SID.
    expect(nodes(logon).filter((n) => n.type === 'KERB_SID_AND_ATTRIBUTES').map((n) => n.value)).toEqual([expect.stringMatching(/^S-1-18-1,/)]);

    expect(byType(pac!, 'PAC_CLIENT_INFO')!.value).toMatch(/^alice, ClientId /);
    const upn = byType(pac!, 'UPN_DNS_INFO')!;
    // Samba writes the UPN in lower case (the DNS domain), the domain as the realm.
    expect(upn.value).toBe(`alice@${status.realm.toLowerCase()} (${status.realm})`);
    expect(child(upn, 'SamName')?.value).toBe('alice');
    expect(child(upn, 'Sid')?.value).toBe(`${domainSid}-${field('UserId')}`);

    expect(verification(pac!, 'PAC_SERVER_CHECKSUM')?.value).toBe(`verified with keytab ${status.keytabs.service}: mqtt/localhost@${status.realm} kvno 3 aes256-cts-hmac-sha1-96`);
    const byKrbtgt = new RegExp(`^verified with keytab ${krbtgt.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: krbtgt/${status.realm}@${status.realm} kvno \\d+ aes256-cts-hmac-sha1-96$`);
    expect(verification(pac!, 'PAC_PRIVSVR_CHECKSUM')?.value).toMatch(byKrbtgt);
    expect(verification(pac!, 'PAC_FULL_CHECKSUM')?.value).toMatch(byKrbtgt);
    // Over the EncTicketPart with the PAC replaced by one zero byte: checked once the ticket is open.
    expect(verification(pac!, 'PAC_TICKET_CHECKSUM')?.value).toMatch(byKrbtgt);
  }, 30_000);

  it('with the service key only, the KDC, ticket and full signatures say they need the krbtgt key', async () => {
    const report = await decoder.decode({ text: await ticketFor(`mqtt/localhost@${status.realm}`) }, [keytab(status.keytabs.service)], false);
    expect(verification(report.tree, 'PAC_SERVER_CHECKSUM')?.value).toMatch(/^verified with keytab /);
    for (const type of ['PAC_PRIVSVR_CHECKSUM', 'PAC_FULL_CHECKSUM', 'PAC_TICKET_CHECKSUM']) {
      expect(verification(report.tree, type)?.error).toMatch(/^does not verify with any of the \d+ hmac-sha1-96-aes256 key\(s\) tried: it needs the krbtgt key of the realm \(a keytab holding krbtgt\/REALM\), or the (PAC|ticket) was changed$/);
    }
  }, 30_000);

  it("decodes the TGT's PAC_ATTRIBUTES_INFO and PAC_REQUESTOR, both signatures made with the krbtgt key", async () => {
    const report = await decoder.decode({ text: await ticketFor(`krbtgt/${status.realm}@${status.realm}`) }, [keytab(krbtgt.path)], false);
    const pac = byType(report.tree, 'PACTYPE')!;
    expect(pac.value).toBe('KERB_VALIDATION_INFO, PAC_CLIENT_INFO, UPN_DNS_INFO, PAC_ATTRIBUTES_INFO, PAC_REQUESTOR, PAC_SERVER_CHECKSUM, PAC_PRIVSVR_CHECKSUM');
    expect(nodes(pac).filter((n) => n.error)).toEqual([]);
    // kinit asked for no PAC either way (no PA-PAC-REQUEST): the DC gave one implicitly.
    expect(byType(pac, 'PAC_ATTRIBUTES_INFO')!.value).toBe('PAC_WAS_GIVEN_IMPLICITLY');
    const upnSid = child(byType(pac, 'UPN_DNS_INFO'), 'Sid')?.value;
    expect(byType(pac, 'PAC_REQUESTOR')!.value).toBe(upnSid);
    for (const type of ['PAC_SERVER_CHECKSUM', 'PAC_PRIVSVR_CHECKSUM']) expect(verification(pac, type)?.value).toMatch(new RegExp(`^verified with keytab .*: krbtgt/${status.realm}@`));
  }, 30_000);

  it('an RC4 service ticket (account without msDS-SupportedEncryptionTypes): hmac-md5 server signature, AES KDC signature', async () => {
    const account = uniqueAccount('svc-rc4');
    const spn = `rc4pac/${account}`;
    await ad.lab.addAccount({ kind: 'ad', name: account, type: 'service', spns: [spn], enctypes: 'unset' });
    try {
      const keys = await ad.lab.exportKeytab({ kind: 'ad', path: path.join(dir, 'rc4.keytab'), principals: [spn] });
      expect(keys.entries.map((e) => e.enctype)).toEqual(['arcfour-hmac']);
      const report = await decoder.decode({ text: await ticketFor(`${spn}@${status.realm}`) }, [keytab(keys.path), keytab(krbtgt.path)], false);
      expect(byType(report.tree, 'Ticket')!.value).toMatch(/arcfour-hmac/);
      expect(byType(report.tree, 'PAC_SERVER_CHECKSUM')!.value).toMatch(/^hmac-md5-arcfour /);
      expect(verification(report.tree, 'PAC_SERVER_CHECKSUM')?.value).toMatch(new RegExp(`^verified with keytab .*: ${spn}@${status.realm} kvno \\d+ arcfour-hmac$`));
      expect(verification(report.tree, 'PAC_PRIVSVR_CHECKSUM')?.value).toMatch(/^verified with keytab .*: krbtgt\//);
      expect(verification(report.tree, 'PAC_FULL_CHECKSUM')?.value).toMatch(/^verified with keytab .*: krbtgt\//);
      expect(verification(report.tree, 'PAC_TICKET_CHECKSUM')?.value).toMatch(/^verified with keytab .*: krbtgt\//);
    } finally {
      await ad.lab.removeAccount({ kind: 'ad', name: account });
    }
  }, 60_000);
});
