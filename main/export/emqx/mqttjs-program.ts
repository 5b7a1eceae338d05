/**
 * The MQTT.js + `kerberos` client the mqttjs export hands out: a TypeScript program doing EMQX's
 * GSSAPI-KERBEROS enhanced authentication (FACTS.md "EMQX's flow"; the bench's probe does the
 * same rounds) and MQTT 5 re-authentication on demand. Kept as text here; the proof compiles
 * it with the repo's tsc and runs it against the bench's broker.
 */

export interface MqttjsProgramSettings {
  /** mqtt://broker.example.com:1883 */
  url: string;
  /** GSS service name: "mqtt@broker.example.com". */
  service: string;
  /** What it was made from, for the header. */
  basis: string;
}

export function mqttjsPackageJson(): string {
  const pkg = {
    name: 'mqtt-kerberos-client',
    version: '1.0.0',
    private: true,
    description: 'MQTT 5 client with Kerberos (GSSAPI-KERBEROS, as EMQX does it), made by Kerberos Bench',
    main: 'dist/client.js',
    scripts: { build: 'tsc -p .', start: 'node dist/client.js' },
    dependencies: { kerberos: '^7.0.0', mqtt: '^5.16.0' },
    devDependencies: { '@types/node': '^20.19.0', typescript: '~5.9.3' },
  };
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

export function mqttjsTsconfig(): string {
  const config = {
    compilerOptions: {
      target: 'ES2022',
      module: 'node16',
      moduleResolution: 'node16',
      strict: true,
      esModuleInterop: true,
      skipLibCheck: true,
      types: ['node'],
      outDir: 'dist',
    },
    files: ['client.ts'],
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

export function mqttjsClientSource(settings: MqttjsProgramSettings): string {
  return `/**
 * MQTT 5 client authenticating with Kerberos the way EMQX does it: Authentication Method
 * "GSSAPI-KERBEROS" (SASL GSSAPI, RFC 4752, carried in CONNECT and AUTH packets), and MQTT 5
 * re-authentication (AUTH 0x19) on demand. Made by Kerberos Bench from ${settings.basis}.
 *
 *   npm install && npx tsc -p .
 *   kinit alice@REALM                       # or KRB5CCNAME=FILE:/path/to/ccache
 *   node dist/client.js [--reauth] [--stay]
 *
 * --reauth  re-authenticates once after connecting, then disconnects
 * --stay    stays connected; kill -USR2 <pid> re-authenticates (a fresh ticket, same connection)
 * Environment: MQTT_URL (default ${settings.url}), MQTT_SERVICE (default ${settings.service}),
 * MQTT_CLIENT_ID, MQTT_AUTHZID (authorization id, default none); KRB5CCNAME and KRB5_CONFIG as
 * for any MIT Kerberos program.
 *
 * The rounds (EMQX's emqx_auth_kerberos over Cyrus SASL):
 *   CONNECT  method + the GSS initial token (AP-REQ)
 *   AUTH 0x18 from the broker: the AP-REP (mutual authentication) → AUTH 0x18 with no data
 *   AUTH 0x18 from the broker: the wrapped security-layer offer → AUTH 0x18 with the wrapped
 *            answer: layer "none", and the authorization id
 *   CONNACK 0x00 (or AUTH 0x00 after a re-authentication)
 */
import mqtt, { type IClientOptions, type MqttClient, type Packet } from 'mqtt';
import { GSS_MECH_OID_KRB5, initializeClient, type KerberosClient } from 'kerberos';

type AuthPacket = Extract<Packet, { cmd: 'auth' }>;

const METHOD = 'GSSAPI-KERBEROS';
const SUCCESS = 0x00;
const CONTINUE_AUTHENTICATION = 0x18;
const REAUTHENTICATE = 0x19;
/** RFC 4752: the security layer bit "no security layer" (EMQX offers only this one). */
const LAYER_NONE = 0x01;

const url = process.env.MQTT_URL ?? ${JSON.stringify(settings.url)};
const service = process.env.MQTT_SERVICE ?? ${JSON.stringify(settings.service)};
const authzid = process.env.MQTT_AUTHZID ?? '';
const clientId = process.env.MQTT_CLIENT_ID ?? \`kerberos-client-\${process.pid}\`;

const b64 = (bytes: Buffer): string => bytes.toString('base64');
const bytesOf = (text: string | null | undefined): Buffer => Buffer.from(text ?? '', 'base64');

/** One SASL GSSAPI conversation: a new one for the first authentication and for each re-authentication. */
class GssapiConversation {
  private constructor(private readonly gss: KerberosClient) {}

  /** The initial token (AP-REQ) for CONNECT or AUTH 0x19: a fresh one each time (a resent one is a replay). */
  static async start(): Promise<{ conversation: GssapiConversation; token: Buffer }> {
    const gss = await initializeClient(service, { mechOID: GSS_MECH_OID_KRB5 });
    const token = bytesOf(await gss.step(''));
    return { conversation: new GssapiConversation(gss), token };
  }

  /** The answer to one AUTH 0x18 challenge. */
  async answer(challenge: Buffer): Promise<Buffer> {
    // Until the context is complete, the challenge is the AP-REP; GSS answers it with nothing.
    if (!this.gss.contextComplete) return bytesOf(await this.gss.step(b64(challenge)));
    // Then the wrapped offer: 1 byte of layers, 3 bytes of maximum buffer size.
    if (challenge.length === 0) throw new Error('the broker sent an empty security-layer offer');
    const offer = bytesOf(await this.gss.unwrap(b64(challenge)));
    if (offer.length !== 4) throw new Error(\`the security-layer offer is \${offer.length} bytes, not 4\`);
    if ((offer[0]! & LAYER_NONE) === 0) throw new Error(\`the broker offers no "no security layer" option (layers 0x\${offer[0]!.toString(16)})\`);
    // The binding's wrap() builds RFC 4752's answer from the 4-byte offer: layer none, the size, the authorization id.
    return bytesOf(await this.gss.wrap(b64(offer), { user: authzid }));
  }
}

function authPacket(reasonCode: number, data: Buffer): AuthPacket {
  return { cmd: 'auth', reasonCode, properties: { authenticationMethod: METHOD, authenticationData: data } };
}

let conversation: GssapiConversation | undefined;
let reauthentication: { resolve: () => void; reject: (error: Error) => void } | undefined;

/** MQTT.js calls this for every AUTH packet from the broker. */
function handleAuth(auth: AuthPacket, callback: (error?: Error, reply?: Packet) => void): void {
  if (auth.reasonCode === SUCCESS) {
    // AUTH 0x00 ends a re-authentication.
    reauthentication?.resolve();
    reauthentication = undefined;
    callback();
    return;
  }
  if (auth.reasonCode !== CONTINUE_AUTHENTICATION || !conversation) {
    callback(new Error(\`unexpected AUTH reason code 0x\${(auth.reasonCode ?? 0).toString(16)}\`));
    return;
  }
  conversation
    .answer(auth.properties?.authenticationData ?? Buffer.alloc(0))
    .then((data) => callback(undefined, authPacket(CONTINUE_AUTHENTICATION, data)))
    .catch((error: Error) => {
      reauthentication?.reject(error);
      callback(error);
    });
}

async function connect(): Promise<MqttClient> {
  const first = await GssapiConversation.start();
  conversation = first.conversation;
  const options: IClientOptions = {
    protocolVersion: 5,
    clientId,
    // No automatic reconnect: MQTT.js would resend this CONNECT and its AP-REQ, which the broker's replay cache refuses.
    reconnectPeriod: 0,
    connectTimeout: 15_000,
    properties: { authenticationMethod: METHOD, authenticationData: first.token },
  };
  const client = mqtt.connect(url, options);
  client.handleAuth = handleAuth;
  return new Promise<MqttClient>((resolve, reject) => {
    client.once('connect', () => resolve(client));
    client.once('error', (error) => {
      client.end(true);
      reject(error);
    });
    client.once('close', () => reject(new Error('the broker closed the connection before CONNACK')));
  });
}

/** MQTT 5 re-authentication: AUTH 0x19 with a fresh AP-REQ, the same rounds, AUTH 0x00. */
async function reauthenticate(client: MqttClient): Promise<void> {
  const next = await GssapiConversation.start();
  conversation = next.conversation;
  let cleanUp = (): void => undefined;
  const done = new Promise<void>((resolve, reject) => {
    const onDisconnect = (packet: Packet) => reject(new Error(\`the broker disconnected during re-authentication (reason 0x\${((packet as { reasonCode?: number }).reasonCode ?? 0).toString(16)})\`));
    const timer = setTimeout(() => reject(new Error('re-authentication did not finish within 15 s')), 15_000);
    cleanUp = () => {
      clearTimeout(timer);
      client.removeListener('disconnect', onDisconnect);
    };
    reauthentication = { resolve, reject };
    client.once('disconnect', onDisconnect);
  });
  // MQTT.js 5 has no public call for re-authentication: the AUTH 0x19 goes through its packet writer.
  (client as unknown as { _sendPacket(packet: Packet): void })._sendPacket(authPacket(REAUTHENTICATE, next.token));
  try {
    await done;
  } finally {
    cleanUp();
  }
}

async function main(): Promise<void> {
  const args = new Set(process.argv.slice(2));
  const client = await connect();
  // MQTT.js may emit 'error' again after the first one: a permanent listener keeps the process alive to report it.
  client.on('error', (error) => console.error(\`MQTT error: \${error.message}\`));
  console.log(\`connected to \${url} with \${METHOD} (service \${service}, client id \${clientId})\`);
  if (args.has('--reauth')) {
    await reauthenticate(client);
    console.log('re-authenticated (AUTH 0x19 → AUTH 0x00)');
  }
  if (args.has('--stay')) {
    process.on('SIGUSR2', () => {
      reauthenticate(client).then(
        () => console.log('re-authenticated (AUTH 0x19 → AUTH 0x00)'),
        (error: Error) => console.error(\`re-authentication failed: \${error.message}\`),
      );
    });
    console.log(\`staying connected; kill -USR2 \${process.pid} re-authenticates\`);
    return;
  }
  await client.endAsync();
}

main().catch((error: Error) => {
  console.error(\`failed: \${error.message}\`);
  process.exit(1);
});
`;
}
