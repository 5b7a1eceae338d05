/**
 * The authentication deadline of one connection, and holding it for a bench probe that steps.
 *
 * MQTT 5 leaves the time a server allows for enhanced authentication to the server (§4.12). The
 * gateway gives each connection `authDeadlineMs` from TCP accept to CONNACK (CONNECT included),
 * and each re-authentication the same from its AUTH 0x19. A person stepping the bench's probe
 * through the packets needs longer than any sane deadline, so a listener may hold it:
 *
 *   - the probe in step mode puts the User Property `kbench-step: 1` (§3.1.2.11.8) in its
 *     CONNECT and in the AUTH 0x19 of a re-authentication;
 *   - a listener with `holdDeadlineWhileStepping` (default: on when it binds a loopback
 *     address) replaces the deadline by HELD_DEADLINE_MS for such a packet — only when the
 *     connection comes from a loopback address, so nobody off this machine can claim it;
 *   - every AUTH 0x18 the gateway sends says what is left, as the User Property
 *     `kbench-auth-deadline-ms`: the milliseconds left, or `held`. A client shows a countdown
 *     from it; other brokers (EMQX …) send nothing of the kind, and then there is none.
 *
 * A held deadline is still a deadline: a forgotten stepping session ends after the cap (the
 * probe's own limit in step mode is the same 10 minutes).
 */
import { isIP } from 'node:net';

/** User Property a bench probe in step mode sends in CONNECT and AUTH 0x19. */
export const STEPPING_PROPERTY = 'kbench-step';
/** User Property on each AUTH 0x18 from the gateway: milliseconds left, or HELD. */
export const DEADLINE_PROPERTY = 'kbench-auth-deadline-ms';
export const HELD = 'held';
/** The cap that replaces a held deadline: the probe's own limit for a stepped authentication. */
export const HELD_DEADLINE_MS = 10 * 60_000;

/** MQTT.js / mqtt-packet's shape of User Properties: a name → one value or several. */
export type UserProperties = Record<string, string | string[]>;

/** The host of "127.0.0.1:5555", "[::1]:5555" (the gateway's remote-address form), or a bare host. */
export function hostOf(address: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed) return bracketed[1]!;
  if (isIP(address)) return address;
  const colon = address.lastIndexOf(':');
  return colon > 0 && isIP(address.slice(0, colon)) ? address.slice(0, colon) : address;
}

/** 127.0.0.0/8, ::1, IPv4-mapped 127.x, and the name localhost. */
export function isLoopback(address: string): boolean {
  const host = hostOf(address).toLowerCase();
  if (host === 'localhost' || host === '::1' || host === '0:0:0:0:0:0:0:1') return true;
  const v4 = host.startsWith('::ffff:') ? host.slice(7) : host;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

/** The packet says a bench probe is stepping through it. */
export function claimsStepping(userProperties: UserProperties | undefined): boolean {
  const value = userProperties?.[STEPPING_PROPERTY];
  return (Array.isArray(value) ? value : [value]).includes('1');
}

/** Whether this listener holds the deadline for this packet from this peer. */
export function holdsFor(listener: { holdDeadlineWhileStepping: boolean }, remoteAddress: string, userProperties: UserProperties | undefined): boolean {
  return listener.holdDeadlineWhileStepping && isLoopback(remoteAddress) && claimsStepping(userProperties);
}

/**
 * The deadlines of one gateway. Those of one length end in the order they started, so one timer
 * per length serves them all: a connection costs a Set entry, not a timer of its own (with
 * connections one at a time, each timer of its own also made and dropped Node's list for its
 * length, about 1 % of an anonymous connect — broker.bench.ts).
 */
export class DeadlineTimers {
  private readonly lists = new Map<number, DeadlineList>();

  list(ms: number): DeadlineList {
    let list = this.lists.get(ms);
    if (!list) this.lists.set(ms, (list = new DeadlineList(ms)));
    return list;
  }

  /** Stops every timer (the gateway is closing); running deadlines never fire. */
  dispose(): void {
    for (const list of this.lists.values()) list.dispose();
    this.lists.clear();
  }
}

/** The running deadlines of one length, earliest first, and the timer for the earliest. */
class DeadlineList {
  private readonly running = new Set<AuthDeadline>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly ms: number) {}

  add(deadline: AuthDeadline): void {
    this.running.add(deadline);
    if (!this.timer) this.arm(this.ms);
  }

  delete(deadline: AuthDeadline): void {
    // The timer stays: it finds nothing, or a later deadline, when it fires.
    this.running.delete(deadline);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.running.clear();
  }

  // Unref'd: the connection a deadline belongs to keeps the process alive, not its timer.
  private arm(ms: number): void {
    this.timer = setTimeout(() => this.sweep(), ms).unref();
  }

  /** Ends every deadline whose time has come, then waits for the next. */
  private sweep(): void {
    this.timer = undefined;
    const now = Date.now();
    const due: AuthDeadline[] = [];
    for (const deadline of this.running) {
      if (deadline.endsAt > now) {
        this.arm(deadline.endsAt - now);
        break;
      }
      due.push(deadline);
    }
    for (const deadline of due) this.running.delete(deadline);
    for (const deadline of due) deadline.expire();
  }
}

/** One running deadline: when it fires, whether it is held, what to tell the client. */
export class AuthDeadline {
  private list: DeadlineList | undefined;
  /** When it ends (Date.now()); read by its list. */
  endsAt = 0;
  private limitMs = 0;
  private isHeld = false;

  constructor(
    private readonly onExpire: () => void,
    private readonly timers: DeadlineTimers,
  ) {}

  /** (Re)starts the clock: `ms` from now. */
  start(ms: number, held = false): void {
    this.list?.delete(this);
    this.limitMs = ms;
    this.isHeld = held;
    this.endsAt = Date.now() + ms;
    this.list = this.timers.list(ms);
    this.list.add(this);
  }

  clear(): void {
    this.list?.delete(this);
    this.list = undefined;
  }

  /** Its list says the time has come. */
  expire(): void {
    this.list = undefined;
    this.onExpire();
  }

  get held(): boolean {
    return this.isHeld;
  }

  /** The limit it runs under, in words for a Reason String: "1500 ms (this listener's deadline)". */
  get description(): string {
    return this.isHeld ? `${this.limitMs} ms (the cap while a bench probe steps)` : `${this.limitMs} ms (this listener's deadline)`;
  }

  /** The value of DEADLINE_PROPERTY on an AUTH 0x18 sent now. */
  get advertised(): string {
    return this.isHeld ? HELD : String(Math.max(0, this.endsAt - Date.now()));
  }
}
