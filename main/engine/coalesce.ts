/**
 * Runs an action at most once per window, however often it is asked for: a status event per
 * burst of connections or requests is enough for a view.
 */
export class Coalescer {
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly action: () => void,
    private readonly windowMs = 200,
  ) {}

  /** Runs the action at the end of the current window (opening one if none is open). */
  soon(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.action();
    }, this.windowMs);
  }

  /** Drops a pending run (the service stopped, and says so itself). */
  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
