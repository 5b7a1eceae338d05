/**
 * Electron main process: lifecycle and wiring only. The engine (main/) does the work; this file
 * gives it a sandboxed window, the kbench:// protocol that serves the renderer, and an IPC adapter.
 */
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { app, BrowserWindow, ipcMain, protocol, session } from 'electron';
import { createEngine } from '../main/engine';
import { IPC_EVENT } from './channels';
import { registerBenchIpc } from './ipc';
import { APP_SCHEME, APP_SCHEME_PRIVILEGES, createAppProtocolHandler } from './protocol';
import { createMainWindow, hardenSession, hardenWebContents, rendererUrlFor } from './window';

app.enableSandbox();
// Before 'ready': a scheme's privileges are fixed when Chromium starts.
protocol.registerSchemesAsPrivileged([APP_SCHEME_PRIVILEGES]);

const rendererUrl = rendererUrlFor(app.isPackaged, process.env);
const preloadPath = path.join(import.meta.dirname, '../preload/index.cjs');
const iconPath = path.join(app.getAppPath(), 'resources', 'icon.png');

const engine = createEngine({ runtime: 'electron', dataDir: app.getPath('userData'), electronVersion: process.versions.electron ?? null });

app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, rendererUrl));

function createWindow(): void {
  const window = createMainWindow(BrowserWindow, preloadPath, iconPath);
  window.once('ready-to-show', () => window.show());
  void window.loadURL(rendererUrl);
}

void app.whenReady().then(() => {
  protocol.handle(APP_SCHEME, createAppProtocolHandler(realpathSync(path.join(import.meta.dirname, '../renderer'))));
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
