/**
 * The Bench API contract. Renderer code may import from here, types only (lint enforces it).
 */
export type * from './system';
export type * from './errors';
export type * from './events';
export type * from './wire';
export type * from './inspect';
export type * from './sasl';
export type * from './broker';
export type * from './diagnose';
export type * from './lab';
export type * from './profile';
export type * from './workspace';
export type * from './capture';
export type * from './http';
export type * from './chain';
export type * from './export';
export type * from './hazelcast';
export type * from '../exchange/model';
export type { BenchApi, BenchApiResults, BenchBridge, ServiceName, MethodName } from './contract';
