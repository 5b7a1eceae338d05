/**
 * Where an Azure chain's files are on disk. The chain loader reads one YAML file with a directory
 * per secret or config map beside it (SECRET/KEY, see main/broker/chain/resolve.ts). An Azure
 * export splits the YAML into broker-listener.yaml and broker-authentication.yaml and keeps the
 * password database as clients.toml: reading either YAML of such a pair reads both, and
 * clients.toml stands for SECRET/passwords.toml when that is absent.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { KEYS } from '../../broker/chain/resolve';
import { MAX_FILE_BYTES } from '../../broker/chain/azure-yaml';

export const PAIR = ['broker-listener.yaml', 'broker-authentication.yaml'] as const;
export const EXPORTED_CLIENTS = 'clients.toml';

export interface ChainFiles {
  /** The YAML files read, the given one first. */
  files: string[];
  /** Their text as one multi-document YAML (listeners first for a pair). */
  text: string;
  /** A line of `text` back to its file and line. */
  where(line: number): { file: string; line: number };
  /** The file a secret's or config map's key is read from, whether or not it exists. */
  resourceFile(name: string, key: string): string;
}

export function readChainFiles(file: string, text: string, onDisk: boolean): ChainFiles {
  const dir = path.dirname(file);
  const resourceFile = (name: string, key: string): string => {
    const file = path.join(dir, name, key);
    const exported = path.join(dir, EXPORTED_CLIENTS);
    return key === KEYS.passwords && !isFile(file) && isFile(exported) ? exported : file;
  };
  const single: ChainFiles = { files: [file], text, where: (line) => ({ file, line }), resourceFile };
  const base = path.basename(file) as (typeof PAIR)[number];
  if (!onDisk || !PAIR.includes(base)) return single;
  const otherFile = path.join(dir, PAIR[1 - PAIR.indexOf(base)]!);
  const other = readText(otherFile);
  if (other === undefined) return single;
  const [first, second] = base === PAIR[0] ? [{ file, text }, { file: otherFile, text: other }] : [{ file: otherFile, text: other }, { file, text }];
  const head = first.text.endsWith('\n') ? first.text : `${first.text}\n`;
  const offset = head.split('\n').length; // the lines of the first file, then the "---" line
  return {
    files: [file, otherFile],
    text: `${head}---\n${second.text}`,
    where: (line) => (line > offset ? { file: second.file, line: line - offset } : { file: first.file, line }),
    resourceFile,
  };
}

export function readText(file: string): string | undefined {
  try {
    const info = statSync(file);
    return info.isFile() && info.size <= MAX_FILE_BYTES ? readFileSync(file, 'utf8') : undefined;
  } catch {
    return undefined;
  }
}

export function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
