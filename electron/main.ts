/**
 * Electron main process: lifecycle and wiring only. The engine (main/) does the work; this file
 * gives it a sandboxed window and an IPC adapter.
 */
import path from 'node:path';
import { app, BrowserWindow, ipcMain, session } from 'electron';
import { createEngine } from '../main/engine';
import { IPC_EVENT } from './channels';
import { registerBenchIpc } from './ipc';
import { hardenSession, hardenWebContents, mainWindowOptions, rendererUrlFor } from './window';

app.enableSandbox();

const rendererUrl = rendererUrlFor(app.isPackaged, process.env, import.meta.dirname);
const preloadPath = path.join(import.meta.dirname, '../preload/index.cjs');

const engine = createEngine({ runtime: 'electron', dataDir: app.getPath('userData'), electronVersion: process.versions.electron ?? null });

app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, rendererUrl));

function createWindow(): void {
  const window = new BrowserWindow(mainWindowOptions(preloadPath));
  window.once('ready-to-show', () => window.show());
  void window.loadURL(rendererUrl);
}

void app.whenReady().then(() => {
  hardenSession(session.defaultSession);
  registerBenchIpc(ipcMain, engine, rendererUrl, (event) => {
    for (const window of BrowserWindow.getAllWindows()) {
      try {
        window.webContents.send(IPC_EVENT, event);
      } catch {
        // A window being torn down, or an event that does not clone: the engine goes on.
      }
    }
  });
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

app.on('will-quit', () => void engine.dispose());
