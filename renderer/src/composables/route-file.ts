import { watch } from 'vue';
import { useRoute, useRouter } from 'vue-router';

/**
 * The file a viewer shows lives in the address (`/keytab?path=…`): another view links to it in
 * one click, and a reload or a restart (the route is kept in the workspace) opens it again.
 *
 * `open` runs when the view mounts with a path in the address and whenever the address names
 * another one; a path the view put there itself (setAddress, after the user opened a file) is not
 * read a second time. Without a path in the address, the view's kept one (`saved`) goes there.
 */
export function useRouteFile(options: { open: (path: string) => Promise<unknown>; saved: () => string | null }) {
  const route = useRoute();
  const router = useRouter();
  let ours: string | null = null;

  const named = () => (typeof route.query.path === 'string' && route.query.path ? route.query.path : null);

  watch(
    named,
    (path) => {
      if (!path) return;
      if (path === ours) {
        ours = null;
        return;
      }
      void options.open(path);
    },
    { immediate: true },
  );

  if (!named()) {
    const saved = options.saved();
    if (saved) void router.replace({ query: { ...route.query, path: saved } });
  }

  /** Puts the path of a file the user opened in the address (null: bytes from the browser, no path). */
  function setAddress(path: string | null): void {
    if (path === named()) return;
    ours = path;
    const { path: _old, ...rest } = route.query;
    void router.replace({ query: path ? { ...rest, path } : rest });
  }

  return { setAddress };
}
