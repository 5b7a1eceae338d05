import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ccacheReport } from '../../../main/inspect/ccache';
import { ccache } from '../../helpers/ccache-builder';
import { runKbench } from '../../helpers/cli';

describe('ccache report: a ticket without starttime', () => {
  it('leaves starttime out of the JSON (klist parity: it is absent, not authtime)', () => {
    const [tgt] = ccacheReport(ccache(4)).credentials;
    expect(tgt).not.toHaveProperty('starttime');
    expect(tgt).toMatchObject({ authtime: '2023-11-14T22:13:20Z', endtime: '2023-11-15T08:13:20Z' });
  });

  it('shows authtime in its place in the text, as klist does, and says so', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-ccache-'));
    try {
      const file = path.join(dir, 'cc');
      await writeFile(file, ccache(4));
      const text = await runKbench(['ccache', 'show', file]);
      expect(text.stdout).toContain('2023-11-14T22:13:20Z* ');
      expect(text.stdout).toContain('* no starttime in the ticket: its authtime is shown, as klist does');
      const json = JSON.parse((await runKbench(['ccache', 'show', file, '--json'])).stdout) as { credentials: object[] };
      expect(json.credentials[0]).not.toHaveProperty('starttime');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
