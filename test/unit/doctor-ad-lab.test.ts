import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { AD_LAB_INSTALL, adLabFinding, ldapPortHolder, type AdLabFacts } from '../../main/system/ad-lab-check';
import { DoctorContext, doctorChecks, runDoctor } from '../../main/system/doctor';

const adLab = doctorChecks.filter((check) => check.id === 'ad-lab');

const ready: AdLabFacts = {
  platform: 'linux',
  root: true,
  found: { samba: '/usr/sbin/samba', 'samba-tool': '/usr/bin/samba-tool', ldbsearch: '/usr/bin/ldbsearch', ldbmodify: '/usr/bin/ldbmodify', libfaketime: '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1' },
  missing: [],
  sambaVersion: '4.17.12-Debian',
  ldap: { state: 'free' },
};

describe('the doctor and the AD lab (Samba AD DC)', () => {
  it('is ok with the packages, root and a free LDAP port', () => {
    const finding = adLabFinding(ready);
    expect(finding).toMatchObject({ ok: true, fix: '', version: '4.17.12-Debian', path: '/usr/sbin/samba' });
    expect(finding.detail).toBe('Samba 4.17.12-Debian; found samba, samba-tool, ldbsearch, ldbmodify, libfaketime; running as root; 127.0.0.1:389 free');
  });

  it('is ok when the port is held by a DC of the lab itself, and says whose', () => {
    const finding = adLabFinding({ ...ready, ldap: { state: 'lab', pid: 4242, dir: '/tmp/data/lab/AD.TEST' } });
    expect(finding.ok).toBe(true);
    expect(finding.detail).toContain('127.0.0.1:389 held by the AD lab DC of /tmp/data/lab/AD.TEST (pid 4242; one AD lab at a time)');
  });

  it('names every missing part with its package, and says exactly what to run', () => {
    const finding = adLabFinding({
      ...ready,
      found: { samba: '/usr/sbin/samba' },
      missing: [
        { what: 'samba-tool', pkg: 'samba-common-bin' },
        { what: 'ldbsearch', pkg: 'ldb-tools' },
        { what: 'libfaketime', pkg: 'libfaketime' },
      ],
    });
    expect(finding.ok).toBe(false);
    expect(finding.detail).toMatch(/^missing: samba-tool \(package samba-common-bin\), ldbsearch \(package ldb-tools\), libfaketime \(package libfaketime\)/);
    expect(finding.fix).toBe(`As root: sudo scripts/setup.sh, or ${AD_LAB_INSTALL}`);
    expect(AD_LAB_INSTALL).toBe('sudo apt-get install -y --no-install-recommends samba samba-dsdb-modules samba-ad-provision samba-vfs-modules winbind ldb-tools libfaketime');
  });

  it('wants root, and an LDAP port no other program holds', () => {
    const finding = adLabFinding({ ...ready, root: false, ldap: { state: 'other', pid: 812, name: 'slapd' } });
    expect(finding.ok).toBe(false);
    expect(finding.detail).toContain("not running as root: Samba's AD DC binds LDAP on 127.0.0.1:389 and runs as root");
    expect(finding.detail).toContain('127.0.0.1:389 (LDAP) is held by slapd (pid 812)');
    expect(finding.fix).toBe('Run the bench as root for the AD lab (sudo -E npx kbench lab up --kind ad). Then: Stop what listens on port 389 (a system Samba DC or slapd: sudo systemctl stop samba-ad-dc slapd)');
  });

  it('says the AD lab is Linux only elsewhere', () => {
    expect(adLabFinding({ ...ready, platform: 'darwin' })).toMatchObject({ ok: false, detail: expect.stringContaining('on Linux only (this is darwin)') });
  });

  it.skipIf(process.platform !== 'linux')('finds who listens on a port from /proc (this process), and a free one', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      expect(await ldapPortHolder(port)).toMatchObject({ state: 'other', pid: process.pid });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    expect(await ldapPortHolder(port)).toEqual({ state: 'free' });
  });

  it('runs on this machine as a recommended check with a verdict', async () => {
    const [item] = await runDoctor(new DoctorContext(), undefined, adLab);
    expect(item).toMatchObject({ id: 'ad-lab', level: 'recommended', title: 'AD lab (Samba AD DC: kbench lab up --kind ad)' });
    expect(item!.status).toBe(item!.ok ? 'ok' : 'warn');
    if (item!.ok) expect(item!.detail).toMatch(/^Samba \d+\.\d+\.\d+.*running as root; 127\.0\.0\.1:389 (free|held by the AD lab DC of \S+ \(pid \d+)/);
    else expect(item!.fix).not.toBe('');
  });
});
