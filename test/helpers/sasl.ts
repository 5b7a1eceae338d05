import { readFile } from 'node:fs/promises';
import { ExchangeRecorder } from '../../main/exchange/recorder';
import { labProfile } from '../../main/gss/profiles';
import type { GssSupervisor } from '../../main/gss/supervisor';
import { parseKeytab } from '../../main/krb/keytab';
import { SaslGssapiClient } from '../../main/sasl/client';
import { OFFERS, type SaslLayer } from '../../main/sasl/layers';
import { SaslGssapiServer } from '../../main/sasl/server';
import type { TestRealm } from './lab';

/** The lab realm as a GSS profile: alice's ccache, the service keytab. */
export function testRealmProfile(lab: TestRealm) {
  return labProfile(lab.name, {
    krb5Config: lab.realm.paths.krb5Conf,
    ccache: lab.ccache,
    keytab: lab.serviceKeytab,
    rcacheDir: lab.realm.paths.rcacheDir,
  });
}

/** Our client against our server, in process, until one of them says done. */
export async function runSasl(
  gss: GssSupervisor,
  lab: TestRealm,
  options: { offer: 'emqx' | 'cyrus'; layer: SaslLayer; authzid?: string },
): Promise<{ client: SaslGssapiClient; server: SaslGssapiServer }> {
  const profile = testRealmProfile(lab);
  const keytab = parseKeytab(await readFile(lab.serviceKeytab)).keytab.entries;
  const client = new SaslGssapiClient({
    gss: gss.worker(profile),
    service: 'mqtt@localhost',
    desiredLayer: options.layer,
    ccachePath: lab.ccache,
    ...(options.authzid ? { authzid: options.authzid } : {}),
    recorder: new ExchangeRecorder({ source: 'sasl', role: 'client', mechanism: 'GSSAPI', service: 'mqtt@localhost' }),
  });
  const server = new SaslGssapiServer({
    gss: gss.worker(profile),
    service: 'mqtt@localhost',
    offer: OFFERS[options.offer],
    keytab,
    recorder: new ExchangeRecorder({ source: 'sasl', role: 'server', mechanism: 'GSSAPI', service: 'mqtt@localhost' }),
  });
  let message = await client.start();
  for (let round = 0; round < 10; round++) {
    if (message.kind === 'failure') throw new Error(`client failed: ${message.reason}`);
    const reply = await server.receive(message.token);
    if (reply.kind === 'success') return { client, server };
    if (reply.kind === 'failure') throw new Error(`server failed: ${reply.reason}`);
    message = await client.receive(reply.token);
  }
  throw new Error('no verdict after 10 rounds');
}
