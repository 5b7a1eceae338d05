/** KRB-ERROR (RFC 4120 §5.9.1) with its e-data decoded (METHOD-DATA, TYPED-DATA, KERB-ERROR-DATA). */
import { app, decodeContained, field, Int32, KerberosString, KerberosTime, namedInt, OctetString, optional, seq, seqOf, type DecodeContext, type Infer, type Schema } from '../der/schema';
import { KrbDecodeError } from '../errors';
import { formatName } from '../names';
import type { TreeNode } from '../tree';
import { Microseconds, MsgType, PrincipalName, Pvno, Realm } from './common';
import { ERROR_CODES } from './error-codes';
import { MethodData } from './padata';

export const ErrorCode = namedInt('Int32 (error-code)', (v) => (ERROR_CODES[v] ? `${ERROR_CODES[v][0]}: ${ERROR_CODES[v][1]}` : undefined));

const TypedData = seqOf(
  seq('TYPED-DATA entry', {
    dataType: field(0, 'data-type', Int32),
    dataValue: optional(1, 'data-value', OctetString),
  }),
  'TYPED-DATA',
  'entry',
);

/** Microsoft's KERB-ERROR-DATA (MS-KILE §2.2.1): data-type 3 carries an NTSTATUS. */
const KerbErrorData = seq('KERB-ERROR-DATA', {
  dataType: field(1, 'data-type', Int32),
  dataValue: optional(2, 'data-value', OctetString),
});

/** e-data is untyped: try the shapes implementations send, most specific first. */
function refineEData(value: { eData?: Buffer }, trees: Record<string, TreeNode | undefined>, ctx: DecodeContext): void {
  const tree = trees.eData;
  if (!tree || !value.eData || value.eData.length === 0) return;
  const shapes: [Schema<unknown>, string][] = [
    [MethodData as Schema<unknown>, 'METHOD-DATA'],
    [KerbErrorData as Schema<unknown>, 'KERB-ERROR-DATA'],
    [TypedData as Schema<unknown>, 'TYPED-DATA'],
  ];
  const problems: string[] = [];
  for (const [schema, name] of shapes) {
    try {
      tree.children = [decodeContained(schema, ctx, tree, value.eData.length, `KRB-ERROR e-data (${name})`).tree];
      return;
    } catch (error) {
      if (!(error instanceof KrbDecodeError)) throw error;
      problems.push(error.message);
    }
  }
  tree.error = `e-data is not METHOD-DATA, KERB-ERROR-DATA or TYPED-DATA (${problems[0]})`;
}

export const KrbError = app(
  30,
  'KRB-ERROR',
  seq(
    'KRB-ERROR',
    {
      pvno: field(0, 'pvno', Pvno),
      msgType: field(1, 'msg-type', MsgType),
      ctime: optional(2, 'ctime', KerberosTime),
      cusec: optional(3, 'cusec', Microseconds),
      stime: field(4, 'stime', KerberosTime),
      susec: field(5, 'susec', Microseconds),
      errorCode: field(6, 'error-code', ErrorCode),
      crealm: optional(7, 'crealm', Realm),
      cname: optional(8, 'cname', PrincipalName),
      realm: field(9, 'realm', Realm),
      sname: field(10, 'sname', PrincipalName),
      eText: optional(11, 'e-text', KerberosString),
      eData: optional(12, 'e-data', OctetString),
    },
    {
      refine: refineEData,
      summarize: (v) => `${ERROR_CODES[v.errorCode]?.[0] ?? `error ${v.errorCode}`} from ${formatName(v.sname.nameString)}@${v.realm}${v.eText ? `: ${v.eText}` : ''}`,
    },
  ),
);
export type KrbError = Infer<typeof KrbError>;
