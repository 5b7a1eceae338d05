import { z } from 'zod';
import type { BenchApi } from './contract';

/**
 * Input schemas: each method's argument list as a zod tuple. Adapters validate here, at the
 * boundary, before any service code runs. The mapped type forces one schema per method whose
 * output matches the method's parameters.
 */
type InputSchemas = {
  [S in keyof BenchApi]: {
    [M in keyof BenchApi[S]]: BenchApi[S][M] extends (...args: infer A) => unknown ? z.ZodType<A> : never;
  };
};

export const benchInputSchemas: InputSchemas = {
  system: {
    doctor: z.tuple([]),
    info: z.tuple([]),
  },
};
