import type { FileSource, KeySource } from '@api/index';
import { defineStore } from 'pinia';
import { shallowRef } from 'vue';

/** Something to decode, sent from another view (an Exchange step's token, a ticket of a ccache). */
export interface DecoderHandoff {
  /** Base64 or text to decode … */
  text?: string;
  /** … or a file. */
  file?: FileSource;
  /** The keys the sending side knows (the broker's keytab, the client's ccache …). */
  keys: KeySource[];
  /** Where it came from, in words: "probe Exchange · step 2 (AUTH 0x18)". */
  label: string;
}

/**
 * Work handed from one view to another (Wireshark's "Follow", Postman's "Send to"). File paths
 * travel in the address (`/keytab?path=…`), so a reload reopens them; what is too big for an
 * address (a token and its keys) is put here by the sender and taken once by the receiving view.
 */
export const useHandoffStore = defineStore('handoff', () => {
  const decoder = shallowRef<DecoderHandoff | null>(null);

  function sendToDecoder(handoff: DecoderHandoff): void {
    decoder.value = handoff;
  }

  /** The handoff for the Decoder, once: null when there is none. */
  function takeDecoder(): DecoderHandoff | null {
    const next = decoder.value;
    decoder.value = null;
    return next;
  }

  return { decoder, sendToDecoder, takeDecoder };
});
