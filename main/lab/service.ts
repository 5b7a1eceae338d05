/**
 * The `lab` service: one entry for every lab realm, whatever its kind. A realm's kind is what its
 * directory holds — an MIT database (mit/service.ts) or a Samba AD DC (samba/service.ts) — and a
 * realm not made yet gets the kind asked for (`kind`; without one, AD.TEST is an AD realm and every
 * other name an MIT one). Without `realm`, the kind picks the default realm: BENCH.TEST for mit,
 * AD.TEST for ad.
 */
import type { LabKind, LabService, LabStatus, LabTarget } from '../api/lab';
import type { EngineContext } from '../engine/context';
import { BenchFailure } from '../engine/failure';
import { DEFAULT_LAB_REALM, isValidRealmName, labLayout, type LabLayout } from './layout';
import { MitLab, type AdOnly } from './mit/service';
import { realmExists } from './realm-state';
import { AdLab, DEFAULT_AD_REALM, isAdRealm } from './samba/service';

export { DEFAULT_AD_REALM } from './samba/service';

type Context = Pick<EngineContext, 'dataDir' | 'events'>;

/** What the dispatcher forwards: every method takes one optional target-shaped argument. */
type Forwarded = { [K in keyof LabService]: (input?: never) => Promise<unknown> };

export class LabServiceImpl implements LabService {
  private readonly mit: MitLab;
  private readonly ad: AdLab;

  constructor(private readonly context: Context) {
    this.mit = new MitLab(context);
    this.ad = new AdLab(context, (target) => this.layout(target));
  }

  up = this.route('up');
  down = this.route('down');
  status = this.route('status');
  log = this.route('log');
  addPrincipal = this.route('addPrincipal');
  removePrincipal = this.route('removePrincipal');
  setPassword = this.route('setPassword');
  rotateKey = this.route('rotateKey');
  setFlags = this.route('setFlags');
  exportKeytab = this.route('exportKeytab');
  setClockOffset = this.route('setClockOffset');
  startKdc = this.route('startKdc');
  stopKdc = this.route('stopKdc');
  refreshTicket = this.route('refreshTicket');
  revealPassword = this.route('revealPassword');
  profile = this.route('profile');
  preview = this.route('preview');
  undo = this.route('undo');
  addAccount = this.routeAd('addAccount');
  setAccount = this.routeAd('setAccount');
  removeAccount = this.routeAd('removeAccount');
  addSpn = this.routeAd('addSpn');
  removeSpn = this.routeAd('removeSpn');
  findSpn = this.routeAd('findSpn');
  changePassword = this.routeAd('changePassword');

  /** The kind of a realm: what its directory holds, else what was asked for (default: ad for AD.TEST, mit for every other name). */
  async kindOf(target: LabTarget = {}): Promise<LabKind> {
    const layout = this.layout(target);
    const held: LabKind | null = (await isAdRealm(layout)) ? 'ad' : (await realmExists(layout)) ? 'mit' : null;
    if (held && target.kind && held !== target.kind) {
      throw new BenchFailure(`${layout.realm} is ${held === 'ad' ? 'an AD' : 'an MIT'} lab realm, not ${target.kind === 'ad' ? 'an AD' : 'an MIT'} one: name another realm (--realm), or remove it first (kbench lab down --destroy --realm ${layout.realm})`);
    }
    return held ?? target.kind ?? (layout.realm === DEFAULT_AD_REALM ? 'ad' : 'mit');
  }

  /** Stops following KDC logs (the KDCs keep running). */
  dispose(): void {
    this.mit.dispose();
    this.ad.dispose();
  }

  private route<K extends Exclude<keyof LabService, AdOnly>>(method: K): LabService[K] {
    const call = async (input: LabTarget = {}) => {
      const withRealm = this.resolved(input);
      const impl = ((await this.kindOf(withRealm)) === 'ad' ? this.ad : this.mit) as unknown as Forwarded;
      return impl[method](withRealm as never);
    };
    return call as unknown as LabService[K];
  }

  private routeAd<K extends AdOnly>(method: K): LabService[K] {
    const call = async (input: LabTarget) => {
      const withRealm = this.resolved({ kind: 'ad', ...input });
      if ((await this.kindOf(withRealm)) !== 'ad') throw new BenchFailure(`${withRealm.realm} is an MIT lab realm: accounts and SPNs belong to AD realms (kbench lab up --kind ad)`);
      return (this.ad as unknown as Forwarded)[method](withRealm as never);
    };
    return call as unknown as LabService[K];
  }

  /** The input with its realm filled in from the kind (the MIT side never sees `kind`). */
  private resolved<T extends LabTarget>(input: T): T & { realm: string } {
    const realm = input.realm ?? (input.kind === 'ad' ? DEFAULT_AD_REALM : DEFAULT_LAB_REALM);
    return { ...input, realm };
  }

  private layout(target: LabTarget = {}): LabLayout {
    const realm = target.realm ?? (target.kind === 'ad' ? DEFAULT_AD_REALM : DEFAULT_LAB_REALM);
    if (!isValidRealmName(realm)) throw new BenchFailure(`"${realm}" is not a realm name the lab accepts (letters, digits, ".", "_", "-"; at most 63)`);
    return labLayout(this.context.dataDir, realm);
  }
}

export type { LabStatus };
