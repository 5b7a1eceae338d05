import type { DoctorProgress } from './system';

/**
 * Events the engine pushes to every connected UI. Names are `service.event`.
 * Later services add theirs here (lab KDC log lines, broker connections, Exchange steps).
 */
export interface BenchEvents {
  'system.doctorProgress': DoctorProgress;
}

export type BenchEventName = keyof BenchEvents;

/** An event as it travels: its name and payload together, so one listener can route them all. */
export type BenchEvent = { [K in BenchEventName]: { name: K; payload: BenchEvents[K] } }[BenchEventName];
