import type { CcacheDocument, CcacheReportCredential, FileSource, KeySource } from '@api/index';
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { BenchClient } from '../api/client';
import { useHandoffStore, type DecoderHandoff } from './handoff';
import { useWorkspaceStore } from './workspace';

/**
 * The credential cache open in the Credential cache view. The workspace keeps the path of a cache
 * opened by path (and whether the bytes were shown), so a reload opens it again; caches opened
 * by path are noted as recent files. A ticket goes to the Decoder with the keys that fit it.
 */
export const useCcacheStore = defineStore('ccache', () => {
  const workspace = useWorkspaceStore();
  // shallowRef: the tree stays a plain object (no deep reactive proxies).
  const doc = shallowRef<CcacheDocument | null>(null);
  const source = ref<FileSource | null>(null);
  const busy = ref(false);
  const error = ref<string | null>(null);
  /** When the document was read: "expired" is judged against this and the clock. */
  const readAt = ref<number>(0);
  const showBytes = ref(false);
  /** The path to open again after a reload or a restart. */
  const savedPath = ref<string | null>(null);

  workspace.persist(
    'ccache',
    () => ({ path: savedPath.value, showBytes: showBytes.value }),
    (saved: { path?: string | null; showBytes?: boolean }) => {
      savedPath.value = typeof saved.path === 'string' ? saved.path : null;
      showBytes.value = saved.showBytes === true;
    },
  );

  /** Opens are numbered: a late answer (a reload's reopen) never replaces a file opened since. */
  let opens = 0;
  async function open(bench: BenchClient, from: FileSource): Promise<boolean> {
    const mine = ++opens;
    busy.value = true;
    error.value = null;
    try {
      const next = await bench.api.ccache.read(from);
      if (mine !== opens) return false;
      doc.value = next;
      source.value = from;
      readAt.value = Date.now();
      // Bytes picked in the browser are not kept: after a reload the view starts empty.
      savedPath.value = 'path' in from ? doc.value.name : null;
      if ('path' in from) workspace.noteRecent('ccache', doc.value.name);
      return true;
    } catch (e) {
      if (mine === opens) error.value = (e as Error).message;
      return false;
    } finally {
      if (mine === opens) busy.value = false;
    }
  }

  async function reload(bench: BenchClient): Promise<void> {
    if (source.value) await open(bench, source.value);
  }

  /**
   * The keys that fit a ticket of this cache: the cache itself (its session keys open what the
   * client sent with the ticket) and, for a service of a lab realm, the lab's service keytab (it
   * opens the ticket's enc-part). A TGT's enc-part needs the krbtgt key, which no keytab here has.
   */
  async function keysFor(bench: BenchClient, credential: CcacheReportCredential): Promise<KeySource[]> {
    const keys: KeySource[] = source.value ? [{ kind: 'ccache', source: source.value }] : [];
    const realm = credential.server.replace(/^.*@/, '');
    const lab = await bench.api.lab.status({ realm }).catch(() => null);
    const service = lab?.principals.find((p) => p.name === credential.server && p.inServiceKeytab);
    if (lab && service) keys.push({ kind: 'keytab', source: { path: lab.keytabs.service } });
    return keys;
  }

  /** Hands the ticket to the Decoder (the caller navigates there). */
  async function sendTicket(bench: BenchClient, credential: CcacheReportCredential): Promise<DecoderHandoff | null> {
    if (!doc.value || !credential.ticket) return null;
    const handoff: DecoderHandoff = {
      text: credential.ticket,
      keys: await keysFor(bench, credential),
      label: `ticket for ${credential.server} from ${doc.value.name.split('/').pop()}`,
    };
    useHandoffStore().sendToDecoder(handoff);
    return handoff;
  }

  function close(): void {
    doc.value = null;
    source.value = null;
    savedPath.value = null;
    error.value = null;
  }

  return { doc, source, busy, error, readAt, showBytes, savedPath, open, reload, sendTicket, close };
});
