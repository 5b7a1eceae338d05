/**
 * A service whose module is loaded at its first call. The CLI runs one command and the window
 * opens on one view, but importing every service up front (aedes, MQTT.js, LDAP, JOSE, YAML, XML
 * and our own code for all of them) cost every `kbench` run about 0.4 s before it did anything.
 *
 * The stand-in has the service's type: each method awaits the real service, then calls it. That
 * is sound because every Bench API method is async already; the stand-in has no other members.
 * The dispatcher only calls methods its schemas name, so unknown names never reach it.
 */
export class LazyService<T extends object> {
  /** What callers hold: the service's methods, each loading the service first. */
  readonly service: T;
  private loading: Promise<T> | undefined;

  constructor(private readonly load: () => Promise<T>) {
    const methods = new Map<string, (...args: unknown[]) => Promise<unknown>>();
    this.service = new Proxy(Object.create(null) as T, {
      get: (_target, name) => {
        // Not thenable (an awaited stand-in must not look like a promise), and no symbols.
        if (typeof name !== 'string' || name === 'then') return undefined;
        let method = methods.get(name);
        if (!method) {
          method = async (...args: unknown[]) => {
            const real = (await this.instance()) as Record<string, (...a: unknown[]) => Promise<unknown>>;
            return real[name]!(...args);
          };
          methods.set(name, method);
        }
        return method;
      },
    });
  }

  /** The real service, loaded once. */
  instance(): Promise<T> {
    this.loading ??= this.load();
    return this.loading;
  }

  /** Disposes the real service if it was ever loaded; one never used has nothing to release. */
  async dispose(): Promise<void> {
    if (!this.loading) return;
    const real = await this.loading.catch(() => undefined);
    await (real as { dispose?(): Promise<void> } | undefined)?.dispose?.();
  }
}
