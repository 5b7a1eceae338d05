/**
 * Who gets a held authentication deadline: a packet that says a bench probe steps, on a listener
 * that holds it, from a loopback address — and nobody else. And what the gateway tells a client
 * about the deadline it runs under.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AuthDeadline, claimsStepping, DeadlineTimers, DEADLINE_PROPERTY, HELD, hostOf, holdsFor, isLoopback, STEPPING_PROPERTY } from '../../../main/broker/auth-deadline';

describe('the remote address', () => {
  it('is read from the gateway\'s address:port forms', () => {
    expect(hostOf('127.0.0.1:5555')).toBe('127.0.0.1');
    expect(hostOf('[::1]:5555')).toBe('::1');
    expect(hostOf('[::ffff:127.0.0.1]:40000')).toBe('::ffff:127.0.0.1');
    expect(hostOf('::1')).toBe('::1');
    expect(hostOf('localhost')).toBe('localhost');
  });

  it('is loopback for 127.0.0.0/8, ::1, IPv4-mapped 127.x and localhost only', () => {
    for (const a of ['127.0.0.1:1', '127.1.2.3:99', '[::1]:2', '[::ffff:127.0.0.1]:3', 'localhost', '::1']) expect(isLoopback(a), a).toBe(true);
    for (const a of ['10.0.0.7:1', '192.0.2.10:40000', '[2001:db8::1]:5', '[::ffff:10.0.0.1]:3', '0.0.0.0', 'unknown', '128.0.0.1:1', 'localhost.example.com']) {
      expect(isLoopback(a), a).toBe(false);
    }
  });
});

describe('holding the deadline', () => {
  const stepping = { [STEPPING_PROPERTY]: '1' };
  const on = { holdDeadlineWhileStepping: true };
  const off = { holdDeadlineWhileStepping: false };

  it('needs the stepping property', () => {
    expect(claimsStepping(stepping)).toBe(true);
    expect(claimsStepping({ [STEPPING_PROPERTY]: ['x', '1'] })).toBe(true);
    expect(claimsStepping(undefined)).toBe(false);
    expect(claimsStepping({})).toBe(false);
    expect(claimsStepping({ [STEPPING_PROPERTY]: '0' })).toBe(false);
    expect(claimsStepping({ other: '1' })).toBe(false);
  });

  it('holds only on a listener that holds it, for a stepping packet from loopback', () => {
    expect(holdsFor(on, '127.0.0.1:40000', stepping)).toBe(true);
    expect(holdsFor(on, '[::1]:40000', stepping)).toBe(true);
    expect(holdsFor(off, '127.0.0.1:40000', stepping)).toBe(false);
    expect(holdsFor(on, '192.0.2.10:40000', stepping)).toBe(false);
    expect(holdsFor(on, '127.0.0.1:40000', undefined)).toBe(false);
  });
});

describe('AuthDeadline', () => {
  afterEach(() => vi.useRealTimers());

  it('fires after its time, advertises what is left, and says which limit it was', () => {
    vi.useFakeTimers();
    const expired = vi.fn();
    const deadline = new AuthDeadline(expired, new DeadlineTimers());
    deadline.start(1500);
    vi.advanceTimersByTime(400);
    expect(deadline.advertised).toBe('1100');
    expect(deadline.description).toBe("1500 ms (this listener's deadline)");
    vi.advanceTimersByTime(1100);
    expect(expired).toHaveBeenCalledOnce();
    expect(deadline.advertised).toBe('0');
  });

  it('deadlines of one length share a timer and still end each at its own time', () => {
    vi.useFakeTimers();
    const timers = new DeadlineTimers();
    const ended: string[] = [];
    const make = (name: string) => new AuthDeadline(() => ended.push(name), timers);
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map(make) as [AuthDeadline, AuthDeadline, AuthDeadline, AuthDeadline];
    a.start(1000);
    vi.advanceTimersByTime(300);
    b.start(1000);
    c.start(1000);
    d.start(250);
    vi.advanceTimersByTime(200);
    c.clear();
    expect(ended).toEqual([]);
    vi.advanceTimersByTime(50);
    expect(ended).toEqual(['d']);
    vi.advanceTimersByTime(450);
    expect(ended).toEqual(['d', 'a']);
    // A restart moves a deadline behind the others; the cleared one never ends.
    b.start(1000);
    vi.advanceTimersByTime(999);
    expect(ended).toEqual(['d', 'a']);
    vi.advanceTimersByTime(1);
    expect(ended).toEqual(['d', 'a', 'b']);
    expect(b.advertised).toBe('0');
    vi.advanceTimersByTime(10_000);
    expect(ended).toEqual(['d', 'a', 'b']);
  });

  it('a deadline started when its timer already waits for a cleared one ends on time, and dispose stops them all', () => {
    vi.useFakeTimers();
    const timers = new DeadlineTimers();
    const expired = vi.fn();
    const first = new AuthDeadline(() => undefined, timers);
    first.start(1000);
    first.clear();
    vi.advanceTimersByTime(600);
    const second = new AuthDeadline(expired, timers);
    second.start(1000);
    vi.advanceTimersByTime(999);
    expect(expired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(expired).toHaveBeenCalledOnce();
    second.start(1000);
    timers.dispose();
    vi.advanceTimersByTime(5_000);
    expect(expired).toHaveBeenCalledOnce();
  });

  it('a held deadline replaces the running one and advertises "held"', () => {
    vi.useFakeTimers();
    const expired = vi.fn();
    const deadline = new AuthDeadline(expired, new DeadlineTimers());
    deadline.start(1500);
    deadline.start(600_000, true);
    vi.advanceTimersByTime(5_000);
    expect(expired).not.toHaveBeenCalled();
    expect(deadline.held).toBe(true);
    expect(deadline.advertised).toBe(HELD);
    expect(deadline.description).toBe('600000 ms (the cap while a bench probe steps)');
    deadline.clear();
    vi.advanceTimersByTime(600_000);
    expect(expired).not.toHaveBeenCalled();
    expect(DEADLINE_PROPERTY).toBe('kbench-auth-deadline-ms');
  });
});
