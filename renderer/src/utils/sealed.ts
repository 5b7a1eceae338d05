/**
 * Who can open an encrypted part that stayed closed on this side (a TreeNode's `sealed`), in
 * neutral words: on a successful run the client simply never holds the service's key.
 */
import type { SealedPart } from '@api/index';

/** Whose view the words are for: one side of an Exchange, an observer's, or the Decoder's (where keys can be added). */
export type SealedPerspective = { side: 'client'; server: string } | { side: 'server'; client: string } | { side: 'observer' } | { side: 'decoder' };

/** "the broker's view opens it", "the client's view opens it", "add the service keytab under Keys to open it" … */
export function sealedHint(sealed: Pick<SealedPart, 'key'>, perspective: SealedPerspective): string {
  const key = sealed.key;
  switch (perspective.side) {
    case 'client':
      if (key === 'service key' || key === 'session key') return `the ${perspective.server.toLowerCase()}'s view opens it`;
      return key === 'client key' ? "the client's password or keytab opens it" : 'open it in the Decoder with the key it needs';
    case 'server':
      if (key === 'service key') return 'the service keytab here has no key of this kind: open it in the Decoder with the keytab that has';
      return key === 'session key' ? `the ${perspective.client.toLowerCase()}'s view opens it` : 'open it in the Decoder with the key it needs';
    case 'decoder':
      if (key === 'service key') return 'add the service keytab under Keys to open it';
      if (key === 'session key') return "add the client's credential cache, or the service keytab (it opens the ticket and with it the session key), under Keys";
      return key === 'client key' ? "add the client's password or keytab under Keys to open it" : 'add the key it needs under Keys';
    case 'observer':
      if (key === 'service key') return 'open it in the Decoder with the service keytab';
      return key === 'session key' ? "open it in the Decoder with the client's credential cache or the service keytab" : 'open it in the Decoder with the key it needs';
  }
}
