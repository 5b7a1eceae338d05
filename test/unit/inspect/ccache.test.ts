import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ccacheReport, credentialStore } from '../../../main/inspect/ccache';
import { decodeBytes } from '../../../main/inspect/decode';
import { CcacheServiceImpl, KeytabServiceImpl } from '../../../main/inspect/service';
import { decodeDer } from '../../../main/krb/der/schema';
import { KrbCred } from '../../../main/krb/messages/cred';
import { findNode } from '../../../main/krb/tree';
import { world, worldKeytab } from '../../helpers/world';
import { ccache } from '../../helpers/ccache-builder';
import { runKbench } from '../../helpers/cli';

describe('ccache report: a ticket without starttime', () => {
  it('leaves starttime out of the JSON (klist parity: it is absent, not authtime)', () => {
    const [tgt] = ccacheReport(ccache(4)).credentials;
    expect(tgt).not.toHaveProperty('starttime');
    expect(tgt).toMatchObject({ authtime: '2023-11-14T22:13:20Z', endtime: '2023-11-15T08:13:20Z' });
  });

  it('shows authtime in its place in the text, as klist does, and says so', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-ccache-'));
    try {
      const file = path.join(dir, 'cc');
      await writeFile(file, ccache(4));
      const text = await runKbench(['ccache', 'show', file]);
      expect(text.stdout).toContain('2023-11-14T22:13:20Z* ');
      expect(text.stdout).toContain('* no starttime in the ticket: its authtime is shown, as klist does');
      const json = JSON.parse((await runKbench(['ccache', 'show', file, '--json'])).stdout) as { credentials: object[] };
      expect(json.credentials[0]).not.toHaveProperty('starttime');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('a KRB-CRED (.kirbi) read as a credential cache', () => {
  // MIT's delegated credentials (test/fixtures/world): the KRB-CRED inside the authenticator,
  // encrypted with the session key — and the same KRB-CRED with its enc-part in the clear
  // (etype 0), as Rubeus and Mimikatz write .kirbi files, made from MIT's own decrypted bytes.
  const decoded = decodeBytes(Buffer.from(world.delegatedApReq, 'base64'), [{ kind: 'keytab', label: 'world', entries: worldKeytab }], { revealSecrets: true });
  const authenticator = findNode(decoded.tree, 'authenticator')!.decrypted!;
  const plaintext = Buffer.from(authenticator.plaintext!, 'hex');
  const credNode = findNode(authenticator.tree, 'KRB-CRED (delegated credentials)')!;
  const encrypted = plaintext.subarray(credNode.offset, credNode.offset + credNode.length);
  const encPart = credNode.children!.find((c) => c.name === 'enc-part')!.decrypted!;
  const clear = KrbCred.encode({ ...decodeDer(KrbCred, encrypted, 'KRB-CRED').value, encPart: { etype: 0, cipher: Buffer.from(encPart.plaintext!, 'hex') } });

  it('shows the tickets of a clear KRB-CRED with their session keys, times and flags', () => {
    const { report } = credentialStore(clear);
    expect(report).toMatchObject({ format: 'KRB-CRED', version: 0, defaultPrincipal: 'alice@WORLD.TEST', config: [] });
    expect(report.credentials).toHaveLength(1);
    expect(report.credentials[0]).toMatchObject({
      client: 'alice@WORLD.TEST',
      server: 'krbtgt/WORLD.TEST@WORLD.TEST',
      sessionKeyEnctype: 'aes256-cts-hmac-sha1-96',
      ticketEnctype: 'aes256-cts-hmac-sha1-96',
      ticketKvno: 1,
      flags: expect.arrayContaining(['forwardable', 'forwarded']),
    });
    expect(report.credentials[0]!.endtime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('shows what the tickets say when the KRB-CRED is encrypted', () => {
    const { report } = credentialStore(encrypted);
    expect(report.credentials).toEqual([
      expect.objectContaining({ server: 'krbtgt/WORLD.TEST@WORLD.TEST', sessionKeyEnctype: 'unknown (the KRB-CRED is encrypted)', ticketEnctype: 'aes256-cts-hmac-sha1-96', ticketKvno: 1 }),
    ]);
  });

  it('opens in the Credential cache service, and a keytab service handed it says what it is', async () => {
    const source = { base64: clear.toString('base64'), name: 'alice.kirbi' };
    expect(await new CcacheServiceImpl().read(source)).toMatchObject({ name: 'alice.kirbi', format: 'KRB-CRED', credentials: [{ server: 'krbtgt/WORLD.TEST@WORLD.TEST' }] });
    await expect(new KeytabServiceImpl().read(source, false)).rejects.toThrow(
      'alice.kirbi: this is a KRB-CRED (.kirbi: tickets exported with their session keys), not a keytab — read it with kbench ccache show, or the Credential cache view',
    );
  });
});
