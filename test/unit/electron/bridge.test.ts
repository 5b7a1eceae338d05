import type { ContextBridge, IpcMain, IpcMainInvokeEvent, IpcRenderer, IpcRendererEvent } from 'electron';
import { afterEach, describe, expect, it } from 'vitest';
import { benchMethods, type BenchBridge } from '../../../main/api/contract';
import type { BenchEvent } from '../../../main/api/events';
import { createEngine, type Engine } from '../../../main/engine';
import { exposeBenchApi } from '../../../electron/bridge';
import { IPC_EVENT, IPC_INVOKE } from '../../../electron/channels';
import { registerBenchIpc } from '../../../electron/ipc';
import { APP_ENTRY_URL } from '../../../electron/protocol';
import { deepTree, exchangeWithTree } from '../../helpers/deep-tree';

const RENDERER_URL = APP_ENTRY_URL;

/**
 * Electron's ipcMain, ipcRenderer and contextBridge, reduced to what the bridge uses and wired
 * to each other in memory. The Electron runtime cannot run here; everything else is real.
 */
function fakeElectron(senderUrl = `${RENDERER_URL}#/doctor`) {
  const handlers = new Map<string, (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown>();
  const rendererListeners = new Map<string, Set<(event: IpcRendererEvent, ...args: unknown[]) => void>>();
  const exposed: Record<string, unknown> = {};

  const ipcMain = {
    handle(channel: string, handler: (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown) {
      if (handlers.has(channel)) throw new Error(`second handler for ${channel}`);
      handlers.set(channel, handler);
    },
    removeHandler(channel: string) {
      handlers.delete(channel);
    },
  } as unknown as Pick<IpcMain, 'handle' | 'removeHandler'>;

  const ipcRenderer = {
    async invoke(channel: string, ...args: unknown[]) {
      const handler = handlers.get(channel);
      if (!handler) throw new Error(`No handler registered for '${channel}'`);
      // Electron structured-clones arguments and results across the process boundary.
      const event = { senderFrame: { url: senderUrl } } as unknown as IpcMainInvokeEvent;
      return structuredClone(await handler(event, ...structuredClone(args)));
    },
    on(channel: string, listener: (event: IpcRendererEvent, ...args: unknown[]) => void) {
      if (!rendererListeners.has(channel)) rendererListeners.set(channel, new Set());
      rendererListeners.get(channel)!.add(listener);
      return ipcRenderer;
    },
    removeListener(channel: string, listener: (event: IpcRendererEvent, ...args: unknown[]) => void) {
      rendererListeners.get(channel)?.delete(listener);
      return ipcRenderer;
    },
  } as unknown as Pick<IpcRenderer, 'invoke' | 'on' | 'removeListener'>;

  const contextBridge = {
    exposeInMainWorld(key: string, api: unknown) {
      exposed[key] = api;
    },
  } as unknown as Pick<ContextBridge, 'exposeInMainWorld'>;

  /** What webContents.send does: deliver to every renderer listener of the channel. */
  const sendToRenderer = (channel: string, payload: unknown) => {
    for (const listener of rendererListeners.get(channel) ?? []) listener({} as IpcRendererEvent, structuredClone(payload));
  };
  return { ipcMain, ipcRenderer, contextBridge, exposed, handlers, sendToRenderer };
}

describe('Electron IPC bridge', () => {
  let engine: Engine;
  afterEach(async () => engine?.dispose());

  function setup(senderUrl?: string) {
    engine = createEngine({ runtime: 'electron', dataDir: '/tmp/kbench-test' });
    const electron = fakeElectron(senderUrl);
    const unregister = registerBenchIpc(electron.ipcMain, engine, RENDERER_URL, (event: BenchEvent) =>
      electron.sendToRenderer(IPC_EVENT, event),
    );
    exposeBenchApi(electron.contextBridge, electron.ipcRenderer);
    return { ...electron, bench: electron.exposed.bench as BenchBridge, unregister };
  }

  it('registers one IPC handler for the whole API', () => {
    const { handlers } = setup();
    expect([...handlers.keys()]).toEqual([IPC_INVOKE]);
  });

  it('exposes every method of every service on window.bench', () => {
    const { bench } = setup();
    for (const [service, methods] of Object.entries(benchMethods)) {
      const exposedService = (bench.api as unknown as Record<string, Record<string, unknown>>)[service];
      expect(Object.keys(exposedService ?? {}).sort()).toEqual([...methods].sort());
      for (const method of methods) expect(typeof exposedService?.[method]).toBe('function');
    }
  });

  it('reaches the real engine through the bridge', async () => {
    const { bench } = setup();
    const result = await bench.api.system.info();
    expect(result).toMatchObject({ ok: true, value: { name: 'Kerberos Bench', runtime: 'electron', dataDir: '/tmp/kbench-test' } });
  });

  it('validates input in main, whatever the renderer sends', async () => {
    const { bench } = setup();
    const doctor = bench.api.system.doctor as unknown as (...args: unknown[]) => Promise<unknown>;
    expect(await doctor({ evil: true })).toMatchObject({ ok: false, error: { code: 'invalid-input' } });
  });

  it('refuses raw invocations of methods outside the contract', async () => {
    const { ipcRenderer } = setup();
    expect(await ipcRenderer.invoke(IPC_INVOKE, { service: 'system', method: 'constructor', args: [] })).toMatchObject({
      ok: false,
      error: { code: 'unknown-method' },
    });
    expect(await ipcRenderer.invoke(IPC_INVOKE, 'not a request')).toMatchObject({ ok: false, error: { code: 'invalid-input' } });
  });

  it('refuses calls from a frame that is not the bench renderer', async () => {
    const { bench } = setup('https://evil.example/');
    expect(await bench.api.system.info()).toMatchObject({ ok: false, error: { code: 'transport' } });
  });

  it('delivers engine events to the renderer and stops after unsubscribe', () => {
    const { bench } = setup();
    const seen: BenchEvent[] = [];
    const stop = bench.onEvent((event) => seen.push(event));
    const item = { id: 'x', title: 'X', ok: true, level: 'info' as const, status: 'ok' as const, detail: '', fix: '' };
    engine.events.emit('system.doctorProgress', { done: 1, total: 2, item });
    stop();
    engine.events.emit('system.doctorProgress', { done: 2, total: 2, item });
    expect(seen).toEqual([{ name: 'system.doctorProgress', payload: { done: 1, total: 2, item } }]);
  });

  it('answers an Exchange nested 800 levels deep with invalid-input, and goes on answering', async () => {
    const { bench } = setup();
    const diagnose = bench.api.diagnose.diagnose as unknown as (...args: unknown[]) => Promise<unknown>;
    expect(await diagnose({ exchange: exchangeWithTree(deepTree(800)) })).toMatchObject({ ok: false, error: { code: 'invalid-input' } });
    expect(await bench.api.system.info()).toMatchObject({ ok: true });
  });

  it('answers even when the engine itself rejects', async () => {
    engine = createEngine({ runtime: 'electron', dataDir: '/tmp/kbench-test' });
    const electron = fakeElectron();
    registerBenchIpc(electron.ipcMain, { events: engine.events, invoke: () => Promise.reject(new Error('boom')) }, RENDERER_URL, () => undefined);
    expect(await electron.ipcRenderer.invoke(IPC_INVOKE, { service: 'system', method: 'info', args: [] })).toEqual({
      ok: false,
      error: { code: 'failed', message: 'Internal error: Error: boom' },
    });
  });

  it('unregisters cleanly', () => {
    // The engine's own subscribers (the session history) stay; the adapter's go.
    const engineOwn = createEngine({ runtime: 'electron', dataDir: '/tmp/kbench-test' }).events.size;
    const { handlers, unregister } = setup();
    expect(engine.events.size).toBe(engineOwn + 1);
    unregister();
    expect(handlers.size).toBe(0);
    expect(engine.events.size).toBe(engineOwn);
  });
});
