/** An error a service throws on purpose: its message is meant for the user as it stands. */
export class BenchFailure extends Error {
  constructor(
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'BenchFailure';
  }
}
