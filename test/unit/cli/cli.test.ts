import { describe, expect, it } from 'vitest';
import { planLaunch } from '../../../main/cli/commands/start';
import { commands } from '../../../main/cli/commands';
import { runKbench } from '../../helpers/cli';

describe('kbench argument handling', () => {
  it('prints help with every command and exits 0', async () => {
    const { code, stdout } = await runKbench(['--help']);
    expect(code).toBe(0);
    for (const command of commands) expect(stdout).toContain(`  ${command.name} `);
    expect(stdout).toContain('Exit codes: 0 ok, 1 failure, 2 usage error');
  });

  it('exits 2 with the help when called without a command', async () => {
    const { code, stdout } = await runKbench([]);
    expect(code).toBe(2);
    expect(stdout).toContain('Usage: kbench <command>');
  });

  it('shows a command help with `help NAME` and `NAME --help`', async () => {
    for (const args of [['help', 'doctor'], ['doctor', '--help']]) {
      const { code, stdout } = await runKbench(args);
      expect(code).toBe(0);
      expect(stdout).toContain('kbench doctor [--json]');
    }
  });

  it('prints the version', async () => {
    const { code, stdout } = await runKbench(['--version']);
    expect(code).toBe(0);
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it.each([
    [['nosuch'], /unknown command "nosuch"/],
    [['doctor', '--nope'], /Unknown option '--nope'/],
    [['doctor', 'extra'], /unexpected argument "extra"/],
    [['web', '--port', 'abc'], /--port must be 0..65535/],
    [['web', '--port', '70000'], /--port must be 0..65535/],
    [['help', 'nosuch'], /unknown command "nosuch"/],
  ])('exits 2 on a usage error: %j', async (args, message) => {
    const { code, stderr } = await runKbench(args);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });

  it('gives every command a summary and usage line', () => {
    for (const command of commands) {
      expect(command.summary.length).toBeGreaterThan(10);
      expect(command.usage.every((u) => u.startsWith(command.name))).toBe(true);
    }
  });
});

describe('planLaunch (npm start)', () => {
  const base = { binary: '/e/electron', missingReason: null, display: true, isRoot: false, forceWeb: false };
  it('opens Electron when the runtime and a display are there', () => {
    expect(planLaunch(base)).toEqual({ mode: 'electron', binary: '/e/electron' });
  });
  it('falls back to web mode and says why', () => {
    expect(planLaunch({ ...base, binary: null, missingReason: 'never downloaded' })).toEqual({ mode: 'web', reason: 'never downloaded' });
    expect(planLaunch({ ...base, display: false })).toMatchObject({ mode: 'web', reason: expect.stringContaining('no display') });
    expect(planLaunch({ ...base, isRoot: true })).toMatchObject({ mode: 'web', reason: expect.stringContaining('--no-sandbox') });
    expect(planLaunch({ ...base, forceWeb: true })).toMatchObject({ mode: 'web', reason: expect.stringContaining('--web') });
  });
});
