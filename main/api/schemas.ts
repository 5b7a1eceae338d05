import { z } from 'zod';
import { exchangeSchema } from '../exchange/serialize';
import type { BenchApi } from './contract';
import { captureSchemas } from './capture-schemas';
import { FileSource, KeySource } from './source-schemas';
import { httpSchemas, negotiateSchemas } from './http-schemas';
import { chainSchemas } from './chain-schemas';
import { exportSchemas, importerSchemas, spnSchemas } from './export-schemas';
import { historySchemas, workspaceSchemas } from './workspace-schemas';

/**
 * Input schemas: each method's argument list as a zod tuple. Adapters validate here, at the
 * boundary, before any service code runs. The mapped type forces one schema per method whose
 * output matches the method's parameters.
 */
type InputSchemas = {
  [S in keyof BenchApi]: {
    [M in keyof BenchApi[S]]: BenchApi[S][M] extends (...args: infer A) => unknown ? z.ZodType<A> : never;
  };
};

const KeytabSaltType = z.enum(['mit', 'ad-user', 'ad-computer']);
/** A sAMAccountName (a computer's with or without "$"), or a user's UPN. */
const KeytabAccount = z.string().min(1).max(256).regex(/^[^\s/\\]+$/, 'an account name (sAMAccountName) or a UPN, without spaces or slashes');
const NewKeytabEntries = z
  .object({
    principal: z.string().min(1).max(1024),
    kvno: z.number().int().min(0).max(0xffffffff),
    enctypes: z.array(z.string().min(1).max(64)).min(1).max(16).optional(),
    password: z.string().max(4096).optional(),
    salt: z.string().max(4096).optional(),
    saltType: KeytabSaltType.optional(),
    account: KeytabAccount.optional(),
  })
  .strict();
const KeytabEntrySelector = z
  .object({ principal: z.string().min(1).max(1024), kvno: z.number().int().min(0).max(0xffffffff).optional(), enctype: z.string().min(1).max(64).optional() })
  .strict();
const KeytabSaltChoice = z.object({ saltType: KeytabSaltType, account: KeytabAccount.optional() }).strict();
const DecodeInput = z.union([z.object({ text: z.string().min(1).max(90_000_000) }).strict(), z.object({ file: FileSource }).strict()]);

/** Lab realm inputs: a realm name, principal names without spaces or quotes, secrets up to 1 KiB. */
const LabRealm = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'a realm name: letters, digits, ".", "_", "-"');
const LabPrincipalName = z.string().min(1).max(255).regex(/^[A-Za-z0-9._\-/@$+=,:]+$/, 'a principal name: letters, digits and . _ - / @ $ + = , :');
const LabPassword = z.string().min(1).max(1024);
const LabTarget = z.object({ realm: LabRealm.optional(), undoable: z.boolean().optional(), kind: z.enum(['mit', 'ad']).optional() }).strict();
const LabAccountName = z.string().regex(/^[A-Za-z0-9._-]{1,19}\$?$/, 'an account name (sAMAccountName): letters, digits, . _ -, at most 20 characters, a computer ending with $');
const LabSpn = z.string().regex(/^[A-Za-z0-9._-]+\/[A-Za-z0-9._:-]+(\/[A-Za-z0-9._-]+)?$/, 'an SPN: service/host[:port][/name]');
const LabEnctypeChoice = z.enum(['rc4', 'aes', 'both', 'unset']);
const TEN_YEARS = 10 * 366 * 24 * 3600;
const labSchemas = {
  up: z.tuple([LabTarget.optional()]),
  down: z.tuple([LabTarget.extend({ destroy: z.boolean().optional() }).strict().optional()]),
  status: z.tuple([LabTarget.optional()]),
  log: z.tuple([LabTarget.extend({ lines: z.number().int().min(0).max(5000).optional() }).strict().optional()]),
  addPrincipal: z.tuple([
    z.union([
      LabTarget.extend({ name: LabPrincipalName, password: LabPassword }).strict(),
      LabTarget.extend({ name: LabPrincipalName, random: z.literal(true) }).strict(),
    ]),
  ]),
  removePrincipal: z.tuple([LabTarget.extend({ name: LabPrincipalName }).strict()]),
  setPassword: z.tuple([LabTarget.extend({ name: LabPrincipalName, password: LabPassword }).strict()]),
  rotateKey: z.tuple([LabTarget.extend({ name: LabPrincipalName }).strict()]),
  setFlags: z.tuple([
    LabTarget.extend({ name: LabPrincipalName, requiresPreauth: z.boolean().optional(), allowTix: z.boolean().optional(), expired: z.boolean().optional(), passwordExpired: z.boolean().optional() }).strict(),
  ]),
  exportKeytab: z.tuple([
    LabTarget.extend({
      path: z.string().min(1).max(4096),
      principals: z.array(LabPrincipalName).min(1).max(64),
      enctypes: z.array(z.string().min(1).max(64)).min(1).max(16).optional(),
      newKeys: z.boolean().optional(),
      replace: z.boolean().optional(),
    }).strict(),
  ]),
  setClockOffset: z.tuple([LabTarget.extend({ seconds: z.number().int().min(-TEN_YEARS).max(TEN_YEARS) }).strict()]),
  startKdc: z.tuple([LabTarget.optional()]),
  stopKdc: z.tuple([LabTarget.optional()]),
  refreshTicket: z.tuple([LabTarget.optional()]),
  revealPassword: z.tuple([LabTarget.extend({ name: LabPrincipalName.optional() }).strict().optional()]),
  profile: z.tuple([LabTarget.optional()]),
  preview: z.tuple([
    z.union([
      LabTarget.extend({ name: LabPrincipalName, operation: z.enum(['rotateKey', 'removePrincipal', 'setPassword']) }).strict(),
      LabTarget.extend({
        name: LabPrincipalName,
        operation: z.literal('setFlags'),
        requiresPreauth: z.boolean().optional(),
        allowTix: z.boolean().optional(),
        expired: z.boolean().optional(),
        passwordExpired: z.boolean().optional(),
      }).strict(),
    ]),
  ]),
  undo: z.tuple([LabTarget.extend({ id: z.string().uuid().optional() }).strict().optional()]),
  addAccount: z.tuple([
    LabTarget.extend({
      name: LabAccountName,
      type: z.enum(['user', 'service', 'computer']).optional(),
      password: LabPassword.optional(),
      spns: z.array(LabSpn).max(32).optional(),
      enctypes: LabEnctypeChoice.optional(),
    }).strict(),
  ]),
  setAccount: z.tuple([
    LabTarget.extend({
      name: LabAccountName,
      enabled: z.boolean().optional(),
      expired: z.boolean().optional(),
      mustChangePassword: z.boolean().optional(),
      requiresPreauth: z.boolean().optional(),
      enctypes: LabEnctypeChoice.optional(),
    }).strict(),
  ]),
  removeAccount: z.tuple([LabTarget.extend({ name: LabAccountName }).strict()]),
  addSpn: z.tuple([LabTarget.extend({ spn: LabSpn, account: LabAccountName, force: z.boolean().optional() }).strict()]),
  removeSpn: z.tuple([LabTarget.extend({ spn: LabSpn, account: LabAccountName }).strict()]),
  findSpn: z.tuple([LabTarget.extend({ spn: LabSpn }).strict()]),
  changePassword: z.tuple([LabTarget.extend({ name: LabAccountName, newPassword: LabPassword }).strict()]),
};

const SaslRunOptions = z
  .object({
    service: z.string().regex(/^[^@\s]+@[^@\s]*$/, 'service@host').max(512),
    profile: z.enum(['lab', 'system']),
    realm: LabRealm.optional(),
    offer: z.enum(['emqx', 'cyrus']),
    layer: z.enum(['none', 'integrity', 'privacy']),
    authzid: z.string().max(1024).optional(),
    engine: z.enum(['mit', 'java']).optional(),
  })
  .strict();
const RunId = z.string().uuid();
const FilePath = z.string().min(1).max(4096);
const ProfilePaths = z
  .object({ krb5Config: FilePath.optional(), ccache: FilePath.optional(), keytab: FilePath.optional(), clientKeytab: FilePath.optional() })
  .strict();
/** A SASL token or application message, base64: 1 MiB of bytes at most (an AD ticket with its PAC stays far below). */
const SaslBase64 = z
  .string()
  .max(1_400_000)
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64');
const SaslPeerCommon = {
  service: z.string().regex(/^[^@\s]+@[^@\s]*$/, 'service@host').max(512),
  profile: z.enum(['lab', 'system', 'custom']),
  realm: LabRealm.optional(),
  paths: ProfilePaths.optional(),
};
const SaslPeerOptions = z.discriminatedUnion('role', [
  z.object({ role: z.literal('client'), ...SaslPeerCommon, layer: z.enum(['none', 'integrity', 'privacy']).optional(), authzid: z.string().max(1024).optional() }).strict(),
  z.object({ role: z.literal('server'), ...SaslPeerCommon, offer: z.enum(['emqx', 'cyrus']).optional() }).strict(),
]);
const BrokerAddress = z.object({ host: z.string().min(1).max(255), port: z.number().int().min(0).max(65_535) }).strict();
const BrokerStartOptions = z
  .object({
    tcp: z.boolean(),
    tls: z.boolean(),
    ws: z.boolean(),
    credentials: z.enum(['lab', 'custom']),
    realm: LabRealm.optional(),
    principal: z.string().min(1).max(1024).optional(),
    keytab: z.string().min(1).max(4096).optional(),
    variant: z.enum(['emqx', 'single-round']),
    allowAnonymous: z.boolean(),
    maxAuthRounds: z.number().int().min(1).max(100).optional(),
    authDeadlineMs: z.number().int().min(100).max(600_000).optional(),
    holdDeadlineWhileStepping: z.boolean().optional(),
    keyLogFile: z.string().min(1).max(4096).optional(),
    chainFile: z.string().min(1).max(4096).optional(),
    addresses: z.object({ tcp: BrokerAddress.optional(), tls: BrokerAddress.optional(), ws: BrokerAddress.optional() }).strict().optional(),
    tlsFiles: z.object({ certFile: z.string().min(1).max(4096), keyFile: z.string().min(1).max(4096) }).strict().optional(),
    freePorts: z.boolean().optional(),
  })
  .strict();
const DiagnosisInput = z
  .object({
    message: z.string().max(4_000_000).optional(),
    exchange: exchangeSchema.optional(),
    setup: z
      .object({
        profile: z.enum(['lab', 'system', 'custom']),
        realm: LabRealm.optional(),
        krb5Config: z.string().min(1).max(4096).optional(),
        ccache: z.string().min(1).max(4096).optional(),
        keytab: z.string().min(1).max(4096).optional(),
        principal: z.string().min(1).max(1024).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
const ProbeStartOptions = z
  .object({
    url: z.string().regex(/^(mqtts?|wss?):\/\/[^\s]+$/, 'an mqtt://, mqtts://, ws:// or wss:// URL').max(2048),
    service: z.string().regex(/^[^@\s]+@[^@\s]*$/, 'service@host').max(512).optional(),
    profile: z.enum(['lab', 'system', 'custom']),
    paths: ProfilePaths.optional(),
    method: z.enum(['GSSAPI-KERBEROS', 'GSSAPI']),
    layer: z.enum(['none', 'integrity', 'privacy']).optional(),
    step: z.boolean(),
    caFile: z.string().min(1).max(4096).optional(),
    insecure: z.boolean().optional(),
    clientId: z.string().min(1).max(256).optional(),
    keyLogFile: z.string().min(1).max(4096).optional(),
    realm: LabRealm.optional(),
    keepalive: z.number().int().min(0).max(65_535).optional(),
    cleanStart: z.boolean().optional(),
    connectProperties: z
      .object({
        sessionExpiryInterval: z.number().int().min(0).max(0xffffffff).optional(),
        receiveMaximum: z.number().int().min(1).max(65_535).optional(),
        maximumPacketSize: z.number().int().min(1).max(0xffffffff).optional(),
        topicAliasMaximum: z.number().int().min(0).max(65_535).optional(),
        requestResponseInformation: z.boolean().optional(),
        requestProblemInformation: z.boolean().optional(),
        userProperties: z.record(z.string().max(65_535), z.string().max(65_535)).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export const benchInputSchemas: InputSchemas = {
  system: {
    doctor: z.tuple([]),
    info: z.tuple([]),
  },
  keytab: {
    read: z.tuple([FileSource, z.boolean()]),
    add: z.tuple([FileSource.nullable(), NewKeytabEntries, z.boolean()]),
    remove: z.tuple([FileSource, z.union([z.array(z.number().int().min(0)).max(10_000), KeytabEntrySelector]), z.boolean()]),
    merge: z.tuple([z.array(FileSource).min(1).max(256), z.boolean()]),
    check: z.tuple([FileSource, z.string().max(4096), z.union([z.string().max(4096), KeytabSaltChoice]).optional()]),
    save: z.tuple([z.string().min(1).max(4096), z.string().max(90_000_000), z.object({ replace: z.boolean().optional() }).strict().optional()]),
  },
  ccache: {
    read: z.tuple([FileSource]),
  },
  profile: {
    read: z.tuple([FileSource]),
  },
  decoder: {
    decode: z.tuple([DecodeInput, z.array(KeySource).max(32), z.boolean(), z.object({ micMessage: z.string().max(90_000_000).optional() }).strict().optional()]),
    decodeSession: z.tuple([z.array(DecodeInput).min(1).max(256), z.array(KeySource).max(32), z.boolean()]),
    explainKey: z.tuple([DecodeInput, FileSource, z.object({ password: z.string().max(4096).optional(), account: KeytabAccount.optional() }).strict().optional()]),
  },
  lab: labSchemas,
  sasl: {
    start: z.tuple([SaslRunOptions]),
    step: z.tuple([RunId]),
    finish: z.tuple([RunId]),
    send: z.tuple([RunId, z.enum(['client', 'server']), z.string().max(65536)]),
    close: z.tuple([RunId]),
    openPeer: z.tuple([SaslPeerOptions]),
    peerStart: z.tuple([RunId]),
    peerReceive: z.tuple([RunId, SaslBase64]),
    peerProtect: z.tuple([RunId, SaslBase64]),
    peerUnprotect: z.tuple([RunId, SaslBase64]),
    closePeer: z.tuple([RunId]),
    decodeTranscript: z.tuple([z.string().min(1).max(16_000_000), FileSource]),
  },
  broker: {
    start: z.tuple([BrokerStartOptions]),
    stop: z.tuple([]),
    status: z.tuple([]),
    exchanges: z.tuple([]),
  },
  probe: {
    start: z.tuple([ProbeStartOptions]),
    next: z.tuple([RunId]),
    reauthenticate: z.tuple([RunId]),
    publish: z.tuple([RunId, z.string().min(1).max(1024).optional()]),
    view: z.tuple([RunId]),
    close: z.tuple([RunId]),
  },
  diagnose: {
    diagnose: z.tuple([DiagnosisInput]),
    catalog: z.tuple([]),
    scenarios: z.tuple([]),
    runScenario: z.tuple([z.object({ id: z.string().min(1).max(128) }).strict()]),
  },
  workspace: workspaceSchemas,
  history: historySchemas,
  capture: captureSchemas,
  http: httpSchemas,
  negotiate: negotiateSchemas,
  chain: chainSchemas,
  export: exportSchemas,
  importer: importerSchemas,
  spn: spnSchemas,
};
