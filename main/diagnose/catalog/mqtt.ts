/**
 * The MQTT side of an enhanced authentication: a broker that gives up before the rounds finish,
 * a method it does not offer, and the connection itself (nothing listening, a certificate the
 * client does not trust, a connection that ends before CONNACK). The texts are the bench's own
 * (its broker's Reason Strings, its probe's verdicts) and MQTT.js's / Node's, as a client prints
 * them; a broker's Reason String is whatever its authors wrote, so where a wording is generic
 * ("authentication timeout") the pattern says so and no vendor is named.
 */
import type { CatalogEntry } from '../../api/diagnose';
import { message, mqttReason } from './matchers';

const r = String.raw;

export const MQTT_ENTRIES: readonly CatalogEntry[] = [
  {
    id: 'auth-deadline',
    title: 'The broker\'s authentication deadline passed before the rounds finished',
    explanation:
      'A broker gives an MQTT 5 enhanced authentication a limited time: from accepting the connection (or from a re-authentication\'s AUTH 0x19) until it can answer with CONNACK. ' +
      'When the client takes longer between rounds, the broker refuses with CONNACK 0x87 Not Authorized (DISCONNECT 0x87 during a re-authentication), and its Reason String names the deadline. ' +
      'Kerberos itself was fine: the tickets and tokens never got their turn. The usual way to hit it is stepping through the packets by hand — the bench\'s probe in step mode pauses before each one — ' +
      'against a broker that does not wait that long. The bench\'s broker gives each listener a deadline (10 s by default) and can hold it for a bench probe on the same machine that steps.',
    matchers: [
      message('kbench', r`did not finish within \d+ ms \((?:this listener's deadline|the cap while a bench probe steps)\)`, 'CONNACK 0x87 Not Authorized: authentication did not finish within 10000 ms (this listener\'s deadline)'),
      // Generic wordings a broker's Reason String or log may use; no particular broker's text.
      message('MQTT', r`\bauth(?:entication)?[ _-]?time(?:d[ _-]?)?out\b`, 'Connection refused: Not authorized — the broker says: authentication timeout'),
      mqttReason(0x87),
    ],
    causes: [
      'The client paused between AUTH rounds longer than the broker\'s deadline: a person stepping through the packets (the bench\'s probe in step mode), a debugger breakpoint, a prompt.',
      'The broker\'s deadline is shorter than the round trips take: a very short setting, or a slow, lossy network between client and broker.',
      'The client is stalled between rounds (a blocked event loop, a GSS call waiting on a slow KDC or on a locked credentials cache).',
    ],
    fixes: [
      {
        platform: 'any',
        text:
          'Against the bench\'s broker: let its listener hold the deadline while a bench probe steps (the Broker view\'s "Hold the deadline while a bench probe steps", on by default for 127.0.0.1 listeners; kbench broker --hold-deadline on), or raise the deadline. ' +
          'Against any other broker: step faster than its deadline — the probe shows a countdown when the broker says how long it waits — or run without step mode, or raise the deadline in that broker\'s settings.',
        commands: ['kbench broker --lab --hold-deadline on', 'kbench broker --lab --auth-deadline 60000', 'kbench probe mqtt://HOST:PORT --service mqtt@HOST'],
      },
    ],
    reproduce: {
      scenario: 'auth-deadline',
      recipe: 'Start the bench\'s broker with a 1 s deadline and the hold off, step the probe, and wait 1.5 s before answering the AP-REP: CONNACK 0x87 "authentication did not finish within 1000 ms (this listener\'s deadline)".',
    },
    related: ['mqtt-closed-before-connack'],
  },
  {
    id: 'mqtt-bad-auth-method',
    title: 'The broker does not offer this Authentication Method',
    explanation:
      'MQTT 5 enhanced authentication starts with CONNECT naming an Authentication Method. A broker that has no authenticator for that name refuses with CONNACK 0x8C Bad Authentication Method. ' +
      'The Kerberos methods are not standardised: EMQX calls its SASL GSSAPI method "GSSAPI-KERBEROS" (with AUTH rounds), other brokers and plugins "GSSAPI" (a single round, AP-REP in CONNACK), and a broker without Kerberos offers neither.',
    matchers: [
      message('MQTT', r`Bad Authentication Method`, 'Connection refused: Bad authentication method'),
      message('kbench', r`no authenticator for Authentication Method`, 'no authenticator for Authentication Method "GSSAPI" on this listener (offered: GSSAPI-KERBEROS)'),
      mqttReason(0x8c),
    ],
    causes: [
      'The client uses the other Kerberos method name: GSSAPI instead of GSSAPI-KERBEROS, or the reverse.',
      'Kerberos authentication is not enabled on this broker or on this listener.',
    ],
    fixes: [
      {
        platform: 'any',
        text: 'Use the method the broker offers (the bench\'s broker says which in the Reason String): GSSAPI-KERBEROS for EMQX and the bench\'s EMQX variant, GSSAPI for the single-round variant.',
        commands: ['kbench probe mqtt://HOST:PORT --method GSSAPI-KERBEROS', 'kbench probe mqtt://HOST:PORT --method GSSAPI'],
      },
      {
        platform: 'EMQX',
        text: 'Enable the Kerberos (GSSAPI) authenticator for the listener; its method is GSSAPI-KERBEROS.',
      },
    ],
    reproduce: { recipe: 'Probe the bench\'s broker (EMQX variant) with --method GSSAPI.' },
  },
  {
    id: 'broker-unreachable',
    title: 'Nothing accepts connections at the broker\'s address',
    explanation:
      'The TCP connection was refused: no process listens on that host and port (or a firewall answers for it with a reset). No MQTT packet and no Kerberos token was exchanged. ' +
      'The broker is not running, listens on another port (the bench\'s broker takes a free port when the default one is in use), or listens on another interface.',
    matchers: [
      message('MQTT', r`\bECONNREFUSED\b`, 'connect ECONNREFUSED 127.0.0.1:1883'),
      message('kbench', r`nothing listens there`, 'connect ECONNREFUSED 127.0.0.1:1: nothing listens there — is the broker running, and on this port?'),
    ],
    causes: ['The broker is not running.', 'The port is wrong: the broker listens on another one (a default port that was taken, TLS on 8883 rather than 1883).', 'The broker listens on another address (127.0.0.1 only, or a different interface).'],
    fixes: [
      {
        platform: 'any',
        text: 'Start the broker, and connect to the address and port it says it listens on (the Broker view lists the bench\'s own listeners).',
        commands: ['kbench broker --lab', 'ss -ltnp'],
      },
    ],
    reproduce: { recipe: 'Probe mqtt://127.0.0.1:1 (a port nothing listens on).' },
  },
  {
    id: 'tls-untrusted-certificate',
    title: 'The broker\'s TLS certificate is not trusted',
    explanation:
      'The TLS handshake failed before any MQTT packet: the client does not trust the certificate the broker presented — it is self-signed, or issued by a CA the client was not given, ' +
      'or the chain is incomplete. The bench\'s broker makes a self-signed certificate for localhost for its TLS listener.',
    matchers: [
      message('MQTT', r`DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY`, 'self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)'),
      message('MQTT', r`self[- ]signed certificate|unable to verify the first certificate`, 'self-signed certificate in certificate chain'),
    ],
    causes: ['The broker uses a self-signed certificate.', 'The certificate comes from a private CA the client was not told to trust.', 'The broker does not send the intermediate certificates.'],
    fixes: [
      {
        platform: 'any',
        text: 'Give the client the broker\'s CA certificate (the bench\'s broker shows its certificate file in the Broker view), or skip verification for a test only.',
        commands: ['kbench probe mqtts://HOST:PORT --ca CA.pem', 'openssl s_client -connect HOST:PORT -showcerts'],
      },
    ],
    reproduce: { recipe: 'Probe the bench\'s TLS listener without --ca.' },
  },
  {
    id: 'mqtt-closed-before-connack',
    title: 'The connection ended before CONNACK',
    explanation:
      'The broker closed the connection (or never answered) before it sent CONNACK, so there is no reason code and no Reason String to read. ' +
      'Usually the two ends do not speak the same protocol: the broker is not MQTT 5, the URL says TLS where the broker speaks plain TCP (or the reverse), the WebSocket path is wrong, ' +
      'or the broker drops clients it does not like without a word (some do for an unknown Authentication Method or for a deadline).',
    matchers: [
      message('kbench', r`the broker closed the connection before CONNACK`, 'the broker closed the connection before CONNACK'),
      message('MQTT', r`\bconnack timeout\b`, 'connack timeout'),
    ],
    causes: [
      'The broker speaks MQTT 3.1.1 only, or is not an MQTT broker at all on this port.',
      'TLS mismatch: mqtts:// or wss:// against a plain listener, or mqtt:// against a TLS one.',
      'The broker closes refused clients without CONNACK; its log says why.',
    ],
    fixes: [
      {
        platform: 'any',
        text: 'Check the scheme and port against the broker\'s listeners, that the broker speaks MQTT 5, and the broker\'s log for this connection.',
        commands: ['openssl s_client -connect HOST:PORT', 'mosquitto_sub -V mqttv5 -h HOST -p PORT -t test -d'],
      },
    ],
    reproduce: { recipe: 'Probe a TLS listener with mqtt:// (plain TCP).' },
    related: ['auth-deadline', 'tls-untrusted-certificate'],
  },
];
