/**
 * Check 4: clock skew against the KDC. A KRB-ERROR carries the KDC's time (stime + susec); compared
 * with the midpoint of our send and receive wall times it gives the offset to within the round
 * trip. The ccache header's KDC time offset (what kdc_timesync stored at kinit) is a second witness.
 */
import { EnvFindingId } from './catalog-map';
import type { Krb5Settings } from './settings';
import { measure, type Collector, type FindingEvidence, type SetupMeasurement } from './types';

/** Seconds the KDC's clock is ahead of ours (negative: behind). */
export function kdcClockOffset(stime: Date, susec: number, sentWall: number, receivedWall: number): number {
  const kdcMs = stime.getTime() + susec / 1000;
  return (kdcMs - (sentWall + receivedWall) / 2) / 1000;
}

/** "+900.2 s (KDC ahead)" / "-12.0 s (KDC behind)". */
export function describeOffset(seconds: number): string {
  const sign = seconds >= 0 ? '+' : '-';
  return `${sign}${Math.abs(seconds).toFixed(1)} s (KDC ${seconds >= 0 ? 'ahead of' : 'behind'} this host)`;
}

/** Which clock is ahead, in words; within 0.05 s they agree to the precision shown. */
function direction(seconds: number): string {
  if (Math.abs(seconds) < 0.05) return 'the clocks agree';
  return seconds > 0 ? 'KDC ahead of this host' : 'KDC behind this host';
}

/** Seconds to one decimal, as a number: positive when the KDC is ahead. */
function signed(seconds: number): number {
  return Math.round(seconds * 10) / 10;
}

export interface ClockWitness {
  offsetSeconds: number;
  /** Where the KDC time came from: "KRB-ERROR from 127.0.0.1:88 (udp)" or "ccache header FILE:…". */
  source: string;
  text: string;
}

/** Records the skew check and, when the offset exceeds clockskew, one finding with every witness. */
export function reportClock(witnesses: ClockWitness[], settings: Krb5Settings, out: Collector): void {
  const allowed = settings.clockskew();
  const where = allowed.where ? ` (clockskew, ${allowed.where})` : ' (MIT default clockskew)';
  if (witnesses.length === 0) {
    out.record('clock-skew', { ok: false, detail: 'not measured: no KDC answered and the ccache header has no KDC time offset' });
    return;
  }
  const worst = witnesses.reduce((a, b) => (Math.abs(b.offsetSeconds) > Math.abs(a.offsetSeconds) ? b : a));
  const detail = `${witnesses.map((w) => `${describeOffset(w.offsetSeconds)} from ${w.source}`).join('; ')}; allowed ${allowed.seconds} s${where}`;
  const tooGreat = Math.abs(worst.offsetSeconds) > allowed.seconds;
  // The largest offset seen is the one that matters; every witness is in `detail`.
  const measured: SetupMeasurement[] = [
    measure('skew', signed(worst.offsetSeconds), 's', `${direction(worst.offsetSeconds)}, from ${worst.source}`),
    measure('limit', allowed.seconds, 's', allowed.where ? `clockskew, ${allowed.where}` : 'MIT default clockskew'),
  ];
  out.record('clock-skew', { ok: !tooGreat, detail, measured });
  if (!tooGreat) return;
  const evidence: FindingEvidence[] = witnesses.map((w) => ({ source: w.source, text: w.text }));
  evidence.push({ source: allowed.where ?? 'MIT default', text: `clockskew = ${allowed.seconds}` });
  out.finding({
    id: EnvFindingId.clockSkew,
    title: 'Clock skew too great',
    confidence: 0.9,
    cause: `The KDC's clock and this host's differ by ${describeOffset(worst.offsetSeconds)}, more than the ${allowed.seconds} s Kerberos allows. kinit may still work (kdc_timesync adjusts the client), but every service on this host compares ticket times with its own clock and answers "Clock skew too great" (KRB_AP_ERR_SKEW) or "Ticket not yet valid".`,
    fix: 'Synchronise the clocks of the KDC, the clients and the services with NTP (a VM resumed from suspend or a host without NTP is the usual culprit).',
    commands: ['timedatectl status', 'chronyc tracking || ntpq -p', 'sudo timedatectl set-ntp true'],
    evidence,
  });
}
