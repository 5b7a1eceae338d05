import { describe, expect, it } from 'vitest';
import type { BenchBridge } from '../../../main/api/contract';
import { bridgeTransport } from '../../../renderer/src/api/bridge-transport';

describe('the renderer side of the Electron bridge', () => {
  it('turns a call IPC could not carry into a transport error instead of a rejection', async () => {
    const bridge = {
      api: { system: { info: () => Promise.reject(new Error('An object could not be cloned.')) } },
      onEvent: () => () => undefined,
    } as unknown as BenchBridge;
    expect(await bridgeTransport(bridge).invoke({ service: 'system', method: 'info', args: [] })).toEqual({
      ok: false,
      error: { code: 'transport', message: 'The bench engine did not answer: Error: An object could not be cloned.' },
    });
  });
});
