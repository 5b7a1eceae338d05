/** Sandboxed preload: exposes the typed Bench API as window.bench, and nothing else. */
import { contextBridge, ipcRenderer } from 'electron';
import { exposeBenchApi } from './bridge';

exposeBenchApi(contextBridge, ipcRenderer);
