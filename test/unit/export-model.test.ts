import { describe, expect, it } from 'vitest';
import type { Exchange } from '../../main/exchange/model';
import { applyExchange, applyImport } from '../../main/export/model';
import type { ExportModel } from '../../main/export/types';
import { fakeLabModel } from '../helpers/export-model';

const labLike = (): ExportModel => fakeLabModel({ kdcs: ['127.0.0.1:40000'], libdefaults: { rdns: 'false' }, client: { principal: 'alice@BENCH.TEST' } });

function exchange(outcome: 'success' | 'failure', over: Partial<Exchange> = {}): Exchange {
  return {
    id: '3f2c9a10-0000-4000-8000-000000000001',
    source: 'broker',
    role: 'server',
    mechanism: 'GSSAPI-KERBEROS',
    service: 'mqtt@broker.example.com',
    startedAt: '2026-12-06T10:00:00.000Z',
    finishedAt: '2026-12-06T10:00:01.000Z',
    steps: [],
    verdict: { outcome, reason: outcome === 'success' ? 'authenticated' : 'Request ticket server mqtt/localhost@BENCH.TEST kvno 3 not found in keytab' },
    identity: { principal: 'bob@BENCH.TEST' },
    ...over,
  };
}

describe('export model', () => {
  it('a successful Exchange narrows the model to its service and client and marks it known to work', async () => {
    const model = await applyExchange(labLike(), exchange('success'));
    expect(model.mqtt.principal).toBe('mqtt/broker.example.com@BENCH.TEST');
    expect(model.mqtt.host).toBe('broker.example.com');
    expect(model.mqtt.url).toBe('mqtt://broker.example.com:1883');
    expect(model.client.principal).toBe('bob@BENCH.TEST');
    expect(model.knownToWork).toEqual({ exchangeId: '3f2c9a10-0000-4000-8000-000000000001', date: '2026-12-06T10:00:01.000Z', summary: 'broker GSSAPI-KERBEROS, bob@BENCH.TEST → authenticated' });
    expect(model.basis).toMatch(/Exchange 3f2c9a10 \(broker, bob@BENCH.TEST\)/);
  });

  it('an HTTP Exchange changes the HTTP service, not the MQTT one', async () => {
    const model = await applyExchange(labLike(), exchange('success', { source: 'http', mechanism: 'Negotiate', service: 'HTTP@es1.example.com' }));
    expect(model.http.principal).toBe('HTTP/es1.example.com@BENCH.TEST');
    expect(model.http.url).toBe('http://es1.example.com:9200/');
    expect(model.mqtt.principal).toBe('mqtt/localhost@BENCH.TEST');
  });

  it('a failed Exchange is refused with its verdict', async () => {
    await expect(applyExchange(labLike(), exchange('failure'))).rejects.toThrow(/did not succeed \(failure: Request ticket server .* not found in keytab\)/);
  });

  it("an imported EMQX principal becomes the model's MQTT service, its host and URL with it", async () => {
    const model = await applyImport(labLike(), { format: 'emqx', file: '/etc/emqx/emqx.conf', setup: { broker: { principal: 'mqtt/broker.example.com@BENCH.TEST', variant: 'emqx' } } });
    expect(model.mqtt).toMatchObject({ principal: 'mqtt/broker.example.com@BENCH.TEST', host: 'broker.example.com', url: 'mqtt://broker.example.com:1883' });
    // No keytab known here: the target says how to make one instead of exporting another principal's keys.
    expect(model.mqtt.keytab).toBeUndefined();
  });

  it('an import keeps its libdefaults over the lab defaults but not its realm when the proofs run in the lab', async () => {
    const model = await applyImport(labLike(), { format: 'krb5', file: '/etc/krb5.conf', setup: { realm: 'EXAMPLE.COM', kdcs: ['kdc1.example.com'], libdefaults: { rdns: 'true', dns_canonicalize_hostname: 'fallback' } } });
    expect(model.libdefaults).toEqual({ rdns: 'true', dns_canonicalize_hostname: 'fallback' });
    expect(model.realm).toBe('BENCH.TEST');
    expect(model.imported?.setup.realm).toBe('EXAMPLE.COM');
    const own = await applyImport({ ...labLike(), labRealm: undefined } as ExportModel, { format: 'krb5', file: '/etc/krb5.conf', setup: { realm: 'EXAMPLE.COM', kdcs: ['kdc1.example.com'] } });
    expect(own.realm).toBe('EXAMPLE.COM');
    expect(own.kdcs).toEqual(['kdc1.example.com']);
  });
});
