/**
 * The workspace file (`<data dir>/workspace.json`, mode 0600): view states, saved connections
 * and recent files. Written whole and atomically after every change, one write at a time, so a
 * crash leaves the old file or the new one. A file that cannot be read is never overwritten: it
 * is renamed aside (`workspace.json.unreadable-<time>`) and the user is told where it went.
 */
import { readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { JsonValue, RecentFile, SavedItem } from '../api/workspace';
import { fsMessage, writeFileAtomic } from '../system/files';

export const WORKSPACE_FILE = 'workspace.json';
const FORMAT = 'kbench-workspace';
const VERSION = 1;

export interface WorkspaceData {
  views: Record<string, JsonValue>;
  saved: SavedItem[];
  recent: RecentFile[];
}

const fileShape = z.object({
  format: z.literal(FORMAT),
  version: z.literal(VERSION),
  views: z.record(z.string(), z.json()),
  saved: z.array(
    z.object({ id: z.string(), kind: z.enum(['probe-target', 'broker-listeners', 'decoder-keyring']), name: z.string(), value: z.json(), savedAt: z.string() }),
  ),
  recent: z.array(z.object({ kind: z.enum(['keytab', 'ccache', 'krb5.conf', 'decoder']), path: z.string(), openedAt: z.string() })),
});

const empty = (): WorkspaceData => ({ views: {}, saved: [], recent: [] });

export class WorkspaceFile {
  readonly file: string;
  private data: WorkspaceData | undefined;
  private loading: Promise<WorkspaceData> | undefined;
  private writing: Promise<void> = Promise.resolve();
  /** Why the file on disk was put aside, when it was. */
  recovered: string | undefined;

  constructor(dataDir: string) {
    this.file = path.join(dataDir, WORKSPACE_FILE);
  }

  /** The workspace, read from disk once. */
  read(): Promise<WorkspaceData> {
    if (this.data) return Promise.resolve(this.data);
    return (this.loading ??= this.readFromDisk().then((data) => (this.data = data)));
  }

  private async readFromDisk(): Promise<WorkspaceData> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return empty();
      this.recovered = `${this.file} could not be read (${fsMessage(error)}); the bench starts with an empty workspace and will not write over it`;
      return empty();
    }
    const problem = parseProblem(text);
    if (typeof problem !== 'string') return problem;
    const aside = `${this.file}.unreadable-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    await rename(this.file, aside).catch(() => undefined);
    this.recovered = `${this.file} was not a workspace file (${problem}); it was kept as ${aside} and the bench started a new one`;
    return empty();
  }

  /** Changes the workspace and writes it (after any write in flight). */
  async update(change: (data: WorkspaceData) => void): Promise<void> {
    const data = await this.read();
    change(data);
    if (this.recovered?.includes('will not write over it')) return;
    const text = `${JSON.stringify({ format: FORMAT, version: VERSION, ...data }, null, 1)}\n`;
    const write = this.writing.then(() => writeFileAtomic(this.file, Buffer.from(text, 'utf8')).then(() => undefined));
    this.writing = write.catch(() => undefined);
    await write;
  }
}

/** The workspace in the text, or why it is not one. */
function parseProblem(text: string): WorkspaceData | string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return (error as Error).message;
  }
  const parsed = fileShape.safeParse(json);
  if (parsed.success) return { views: parsed.data.views as Record<string, JsonValue>, saved: parsed.data.saved as SavedItem[], recent: parsed.data.recent };
  const issue = parsed.error.issues[0]!;
  return `${issue.path.join('.') || '(root)'}: ${issue.message}`;
}
