import type { Exchange } from '../exchange/model';
import type { BrokerStatus, ProbeView } from './broker';
import type { CaptureProgress } from './capture';
import type { HttpEndpointStatus, NegotiateProbeView } from './http';
import type { LabStatus } from './lab';
import type { DoctorProgress } from './system';

/**
 * Events the engine pushes to every connected UI. Names are `service.event`.
 * Later services add theirs here (lab KDC log lines, broker connections, Exchange steps).
 */
export interface BenchEvents {
  'system.doctorProgress': DoctorProgress;
  /** Lines the lab KDC just appended to its log. */
  'lab.kdcLog': { realm: string; lines: string[] };
  /** The lab realm after a change (up, down, a principal, the clock). */
  'lab.status': LabStatus;
  /** A broker connection's Exchange after a new step or verdict. */
  'broker.exchange': Exchange;
  /** A broker connection's verdict was set or changed (connect, re-authentication, disconnect): one log line each. */
  'broker.verdict': Exchange;
  'broker.status': BrokerStatus;
  /** A probe run after any change (a step, a pause, the verdict). */
  'probe.update': ProbeView;
  /** A running capture scan, a few times a second. */
  'capture.progress': CaptureProgress;
  /** An HTTP endpoint request's Exchange after a new step or verdict. */
  'http.exchange': Exchange;
  'http.status': HttpEndpointStatus;
  /** A Negotiate probe run after any change. */
  'negotiate.update': NegotiateProbeView;
  /** One request the sample custom authentication server decided: its log line (never the password). */
  'chain.customServerRequest': { line: string };
}

export type BenchEventName = keyof BenchEvents;

/** An event as it travels: its name and payload together, so one listener can route them all. */
export type BenchEvent = { [K in BenchEventName]: { name: K; payload: BenchEvents[K] } }[BenchEventName];
