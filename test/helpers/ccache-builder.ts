import { BinaryWriter } from '../../main/krb/binary';
import { CONF_NAME, CONF_REALM } from '../../main/krb/ccache';

/** A hand-built FILE ccache (MIT "ccache file format"), to reach shapes kinit rarely writes. */
function principal(w: BinaryWriter, realm: string, ...components: string[]): void {
  w.int32(1).uint32(components.length);
  w.uint32(Buffer.byteLength(realm)).bytes(Buffer.from(realm));
  for (const c of components) w.uint32(Buffer.byteLength(c)).bytes(Buffer.from(c));
}

function credential(w: BinaryWriter, version: 3 | 4, server: [string, ...string[]], ticket: Buffer, flags = 0x40e10000): void {
  principal(w, 'EXAMPLE.COM', 'alice');
  principal(w, ...server);
  w.uint16(18);
  if (version === 3) w.uint16(18); // v3 writes the enctype twice
  w.uint32(32).bytes(Buffer.alloc(32, 0xab));
  for (const t of [1_700_000_000, 0, 1_700_036_000, 1_700_086_400]) w.uint32(t);
  w.uint8(0).uint32(flags);
  w.uint32(1).uint16(2).uint32(4).bytes(Buffer.from([10, 0, 0, 1])); // one IPv4 address
  w.uint32(0); // no authdata
  w.uint32(ticket.length).bytes(ticket);
  w.uint32(0); // no second ticket
}

/** alice's TGT (starttime 0), a referral entry and two config entries, in file format `version`. */
export function ccache(version: 3 | 4): Buffer {
  const w = new BinaryWriter().uint16(0x0500 | version);
  if (version === 4) w.uint16(12).uint16(1).uint16(8).int32(-42).int32(7);
  principal(w, 'EXAMPLE.COM', 'alice');
  credential(w, version, ['EXAMPLE.COM', 'krbtgt', 'EXAMPLE.COM'], Buffer.from('not a real ticket'));
  // A referral entry: MIT caches the service under an empty realm.
  credential(w, version, ['', 'HTTP', 'web.example.com'], Buffer.from('ticket 2'));
  credential(w, version, [CONF_REALM, CONF_NAME, 'pa_type', 'krbtgt/EXAMPLE.COM@EXAMPLE.COM'], Buffer.from('2'), 0);
  credential(w, version, [CONF_REALM, CONF_NAME, 'start_realm'], Buffer.from('EXAMPLE.COM'), 0);
  return w.toBuffer();
}
