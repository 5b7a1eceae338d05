/**
 * Web mode's access token. `kbench web` prints http://127.0.0.1:PORT/?token=…; the page takes the
 * token from the address (and removes it from there and from the history entry) and keeps it in
 * this tab's sessionStorage, so a reload still has it. sessionStorage belongs to one origin —
 * scheme, host and port — so no other local web server can read it, and unlike a cookie it is
 * never sent anywhere by the browser: the transport presents it on the WebSocket upgrade itself.
 */
const STORAGE_KEY = 'kbench.token';

/** The token from this address or this tab's earlier visit; null when the page was opened without it. */
export function takeAccessToken(): string | null {
  const params = new URLSearchParams(location.search);
  const fromUrl = params.get('token');
  if (fromUrl !== null) {
    params.delete('token');
    const query = params.toString();
    history.replaceState(history.state, '', `${location.pathname}${query ? `?${query}` : ''}${location.hash}`);
  }
  try {
    if (fromUrl) sessionStorage.setItem(STORAGE_KEY, fromUrl);
    return fromUrl || sessionStorage.getItem(STORAGE_KEY);
  } catch {
    // Storage disabled: the token lives in memory for this page only (a reload needs the URL again).
    return fromUrl || null;
  }
}
