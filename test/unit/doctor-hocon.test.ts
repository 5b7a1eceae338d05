import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DoctorContext, doctorChecks, runDoctor } from '../../main/system/doctor';

const hocon = doctorChecks.filter((check) => check.id === 'hocon');

describe('the doctor and the reference HOCON parser', () => {
  it.skipIf(!existsSync('/usr/share/java/typesafe-config.jar'))("finds Debian's typesafe-config jar and its version", async () => {
    const [item] = await runDoctor(new DoctorContext({ ...process.env, KBENCH_TYPESAFE_CONFIG_JAR: '' }), undefined, hocon);
    expect(item).toMatchObject({ id: 'hocon', status: 'ok', version: expect.stringMatching(/^\d+\.\d+/) });
    expect(item!.detail).toMatch(/^\/usr\/share\/java\/typesafe-config\.jar → \/usr\/share\/java\/typesafe-config-[\d.]+\.jar/);
  });

  it('says which package to install when the jar is missing', async () => {
    const [item] = await runDoctor(new DoctorContext({ ...process.env, KBENCH_TYPESAFE_CONFIG_JAR: '/nonexistent/typesafe-config.jar' }), undefined, hocon);
    expect(item).toMatchObject({ id: 'hocon', status: 'warn', ok: false, level: 'recommended' });
    expect(item!.detail).toMatch(/no \/nonexistent\/typesafe-config\.jar/);
    expect(item!.fix).toMatch(/apt-get install -y libtypesafe-config-java/);
  });
});
