/**
 * MIT com_err codes, names and texts, and the GSS-API major status codes (RFC 2744) with the texts
 * MIT's gss_display_status prints for them. Diagnosis reads codes out of KRB5_TRACE lines, klist
 * and python-gssapi output ("Minor (2529639053)") and names them here.
 *
 * Where the numbers come from: the krb5 table is the one this machine's MIT 1.20.1 carries — every
 * name and code from /usr/include/krb5/krb5.h, every text from error_message() in libkrb5 — which
 * matches src/lib/krb5/error_tables/krb5_err.et in krb5/krb5. The k5g entries (the GSS krb5
 * mechanism's own minor codes) follow src/lib/gssapi/krb5/gssapi_err_krb5.et; the GSS majors and
 * their texts were printed by this machine's gss_display_status.
 */

/** The krb5 com_err table starts here; RFC 4120 error-code N is ERROR_TABLE_BASE_krb5 + N. */
export const ERROR_TABLE_BASE_krb5 = -1765328384;
/** The GSS krb5 mechanism's table (minor codes such as KG_KEYTAB_NOMATCH). */
export const ERROR_TABLE_BASE_k5g = 39756032;

export interface ComErr {
  /** Signed, as MIT prints it in traces (-1765328360). */
  code: number;
  name: string;
  /** MIT's message for the code. */
  text: string;
  table: 'krb5' | 'k5g';
}

/** [offset from the table base, name, text]; the unnamed placeholders (KRB5PLACEHOLD_*) are left out. */
type Row = readonly [number, string, string];

const KRB5_ROWS: readonly Row[] = [
  [0, 'KRB5KDC_ERR_NONE', 'No error'],
  [1, 'KRB5KDC_ERR_NAME_EXP', "Client's entry in database has expired"],
  [2, 'KRB5KDC_ERR_SERVICE_EXP', "Server's entry in database has expired"],
  [3, 'KRB5KDC_ERR_BAD_PVNO', 'Requested protocol version not supported'],
  [4, 'KRB5KDC_ERR_C_OLD_MAST_KVNO', "Client's key is encrypted in an old master key"],
  [5, 'KRB5KDC_ERR_S_OLD_MAST_KVNO', "Server's key is encrypted in an old master key"],
  [6, 'KRB5KDC_ERR_C_PRINCIPAL_UNKNOWN', 'Client not found in Kerberos database'],
  [7, 'KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN', 'Server not found in Kerberos database'],
  [8, 'KRB5KDC_ERR_PRINCIPAL_NOT_UNIQUE', 'Principal has multiple entries in Kerberos database'],
  [9, 'KRB5KDC_ERR_NULL_KEY', 'Client or server has a null key'],
  [10, 'KRB5KDC_ERR_CANNOT_POSTDATE', 'Ticket is ineligible for postdating'],
  [11, 'KRB5KDC_ERR_NEVER_VALID', 'Requested effective lifetime is negative or too short'],
  [12, 'KRB5KDC_ERR_POLICY', 'KDC policy rejects request'],
  [13, 'KRB5KDC_ERR_BADOPTION', "KDC can't fulfill requested option"],
  [14, 'KRB5KDC_ERR_ETYPE_NOSUPP', 'KDC has no support for encryption type'],
  [15, 'KRB5KDC_ERR_SUMTYPE_NOSUPP', 'KDC has no support for checksum type'],
  [16, 'KRB5KDC_ERR_PADATA_TYPE_NOSUPP', 'KDC has no support for padata type'],
  [17, 'KRB5KDC_ERR_TRTYPE_NOSUPP', 'KDC has no support for transited type'],
  [18, 'KRB5KDC_ERR_CLIENT_REVOKED', "Client's credentials have been revoked"],
  [19, 'KRB5KDC_ERR_SERVICE_REVOKED', 'Credentials for server have been revoked'],
  [20, 'KRB5KDC_ERR_TGT_REVOKED', 'TGT has been revoked'],
  [21, 'KRB5KDC_ERR_CLIENT_NOTYET', 'Client not yet valid - try again later'],
  [22, 'KRB5KDC_ERR_SERVICE_NOTYET', 'Server not yet valid - try again later'],
  [23, 'KRB5KDC_ERR_KEY_EXP', 'Password has expired'],
  [24, 'KRB5KDC_ERR_PREAUTH_FAILED', 'Preauthentication failed'],
  [25, 'KRB5KDC_ERR_PREAUTH_REQUIRED', 'Additional pre-authentication required'],
  [26, 'KRB5KDC_ERR_SERVER_NOMATCH', "Requested server and ticket don't match"],
  [27, 'KRB5KDC_ERR_MUST_USE_USER2USER', 'Server principal valid for user2user only'],
  [28, 'KRB5KDC_ERR_PATH_NOT_ACCEPTED', 'KDC policy rejects transited path'],
  [29, 'KRB5KDC_ERR_SVC_UNAVAILABLE', 'A service is not available that is required to process the request'],
  [31, 'KRB5KRB_AP_ERR_BAD_INTEGRITY', 'Decrypt integrity check failed'],
  [32, 'KRB5KRB_AP_ERR_TKT_EXPIRED', 'Ticket expired'],
  [33, 'KRB5KRB_AP_ERR_TKT_NYV', 'Ticket not yet valid'],
  [34, 'KRB5KRB_AP_ERR_REPEAT', 'Request is a replay'],
  [35, 'KRB5KRB_AP_ERR_NOT_US', "The ticket isn't for us"],
  [36, 'KRB5KRB_AP_ERR_BADMATCH', "Ticket/authenticator don't match"],
  [37, 'KRB5KRB_AP_ERR_SKEW', 'Clock skew too great'],
  [38, 'KRB5KRB_AP_ERR_BADADDR', 'Incorrect net address'],
  [39, 'KRB5KRB_AP_ERR_BADVERSION', 'Protocol version mismatch'],
  [40, 'KRB5KRB_AP_ERR_MSG_TYPE', 'Invalid message type'],
  [41, 'KRB5KRB_AP_ERR_MODIFIED', 'Message stream modified'],
  [42, 'KRB5KRB_AP_ERR_BADORDER', 'Message out of order'],
  [43, 'KRB5KRB_AP_ERR_ILL_CR_TKT', 'Illegal cross-realm ticket'],
  [44, 'KRB5KRB_AP_ERR_BADKEYVER', 'Key version is not available'],
  [45, 'KRB5KRB_AP_ERR_NOKEY', 'Service key not available'],
  [46, 'KRB5KRB_AP_ERR_MUT_FAIL', 'Mutual authentication failed'],
  [47, 'KRB5KRB_AP_ERR_BADDIRECTION', 'Incorrect message direction'],
  [48, 'KRB5KRB_AP_ERR_METHOD', 'Alternative authentication method required'],
  [49, 'KRB5KRB_AP_ERR_BADSEQ', 'Incorrect sequence number in message'],
  [50, 'KRB5KRB_AP_ERR_INAPP_CKSUM', 'Inappropriate type of checksum in message'],
  [51, 'KRB5KRB_AP_PATH_NOT_ACCEPTED', 'Policy rejects transited path'],
  [52, 'KRB5KRB_ERR_RESPONSE_TOO_BIG', 'Response too big for UDP, retry with TCP'],
  [60, 'KRB5KRB_ERR_GENERIC', 'Generic error (see e-text)'],
  [61, 'KRB5KRB_ERR_FIELD_TOOLONG', 'Field is too long for this implementation'],
  [62, 'KRB5KDC_ERR_CLIENT_NOT_TRUSTED', 'Client not trusted'],
  [63, 'KRB5KDC_ERR_KDC_NOT_TRUSTED', 'KDC not trusted'],
  [64, 'KRB5KDC_ERR_INVALID_SIG', 'Invalid signature'],
  [65, 'KRB5KDC_ERR_DH_KEY_PARAMETERS_NOT_ACCEPTED', 'Key parameters not accepted'],
  [66, 'KRB5KDC_ERR_CERTIFICATE_MISMATCH', 'Certificate mismatch'],
  [67, 'KRB5KRB_AP_ERR_NO_TGT', 'No ticket granting ticket'],
  [68, 'KRB5KDC_ERR_WRONG_REALM', 'Realm not local to KDC'],
  [69, 'KRB5KRB_AP_ERR_USER_TO_USER_REQUIRED', 'User to user required'],
  [70, 'KRB5KDC_ERR_CANT_VERIFY_CERTIFICATE', "Can't verify certificate"],
  [71, 'KRB5KDC_ERR_INVALID_CERTIFICATE', 'Invalid certificate'],
  [72, 'KRB5KDC_ERR_REVOKED_CERTIFICATE', 'Revoked certificate'],
  [73, 'KRB5KDC_ERR_REVOCATION_STATUS_UNKNOWN', 'Revocation status unknown'],
  [74, 'KRB5KDC_ERR_REVOCATION_STATUS_UNAVAILABLE', 'Revocation status unavailable'],
  [75, 'KRB5KDC_ERR_CLIENT_NAME_MISMATCH', 'Client name mismatch'],
  [76, 'KRB5KDC_ERR_KDC_NAME_MISMATCH', 'KDC name mismatch'],
  [77, 'KRB5KDC_ERR_INCONSISTENT_KEY_PURPOSE', 'Inconsistent key purpose'],
  [78, 'KRB5KDC_ERR_DIGEST_IN_CERT_NOT_ACCEPTED', 'Digest in certificate not accepted'],
  [79, 'KRB5KDC_ERR_PA_CHECKSUM_MUST_BE_INCLUDED', 'Checksum must be included'],
  [80, 'KRB5KDC_ERR_DIGEST_IN_SIGNED_DATA_NOT_ACCEPTED', 'Digest in signed-data not accepted'],
  [81, 'KRB5KDC_ERR_PUBLIC_KEY_ENCRYPTION_NOT_SUPPORTED', 'Public key encryption not supported'],
  [85, 'KRB5KRB_AP_ERR_IAKERB_KDC_NOT_FOUND', 'The IAKERB proxy could not find a KDC'],
  [86, 'KRB5KRB_AP_ERR_IAKERB_KDC_NO_RESPONSE', 'The KDC did not respond to the IAKERB proxy'],
  [90, 'KRB5KDC_ERR_PREAUTH_EXPIRED', 'Preauthentication expired'],
  [91, 'KRB5KDC_ERR_MORE_PREAUTH_DATA_REQUIRED', 'More preauthentication data is required'],
  [93, 'KRB5KDC_ERR_UNKNOWN_CRITICAL_FAST_OPTION', 'An unsupported critical FAST option was requested'],
  [100, 'KRB5KDC_ERR_NO_ACCEPTABLE_KDF', 'No acceptable KDF offered'],
  [129, 'KRB5_LIBOS_BADLOCKFLAG', 'Invalid flag for file lock mode'],
  [130, 'KRB5_LIBOS_CANTREADPWD', 'Cannot read password'],
  [131, 'KRB5_LIBOS_BADPWDMATCH', 'Password mismatch'],
  [132, 'KRB5_LIBOS_PWDINTR', 'Password read interrupted'],
  [133, 'KRB5_PARSE_ILLCHAR', 'Illegal character in component name'],
  [134, 'KRB5_PARSE_MALFORMED', 'Malformed representation of principal'],
  [135, 'KRB5_CONFIG_CANTOPEN', "Can't open/find Kerberos configuration file"],
  [136, 'KRB5_CONFIG_BADFORMAT', 'Improper format of Kerberos configuration file'],
  [137, 'KRB5_CONFIG_NOTENUFSPACE', 'Insufficient space to return complete information'],
  [138, 'KRB5_BADMSGTYPE', 'Invalid message type specified for encoding'],
  [139, 'KRB5_CC_BADNAME', 'Credential cache name malformed'],
  [140, 'KRB5_CC_UNKNOWN_TYPE', 'Unknown credential cache type'],
  [141, 'KRB5_CC_NOTFOUND', 'Matching credential not found'],
  [142, 'KRB5_CC_END', 'End of credential cache reached'],
  [143, 'KRB5_NO_TKT_SUPPLIED', 'Request did not supply a ticket'],
  [144, 'KRB5KRB_AP_WRONG_PRINC', 'Wrong principal in request'],
  [145, 'KRB5KRB_AP_ERR_TKT_INVALID', 'Ticket has invalid flag set'],
  [146, 'KRB5_PRINC_NOMATCH', "Requested principal and ticket don't match"],
  [147, 'KRB5_KDCREP_MODIFIED', 'KDC reply did not match expectations'],
  [148, 'KRB5_KDCREP_SKEW', 'Clock skew too great in KDC reply'],
  [149, 'KRB5_IN_TKT_REALM_MISMATCH', 'Client/server realm mismatch in initial ticket request'],
  [150, 'KRB5_PROG_ETYPE_NOSUPP', 'Program lacks support for encryption type'],
  [151, 'KRB5_PROG_KEYTYPE_NOSUPP', 'Program lacks support for key type'],
  [152, 'KRB5_WRONG_ETYPE', 'Requested encryption type not used in message'],
  [153, 'KRB5_PROG_SUMTYPE_NOSUPP', 'Program lacks support for checksum type'],
  [154, 'KRB5_REALM_UNKNOWN', 'Cannot find KDC for requested realm'],
  [155, 'KRB5_SERVICE_UNKNOWN', 'Kerberos service unknown'],
  [156, 'KRB5_KDC_UNREACH', 'Cannot contact any KDC for requested realm'],
  [157, 'KRB5_NO_LOCALNAME', 'No local name found for principal name'],
  [158, 'KRB5_MUTUAL_FAILED', 'Mutual authentication failed'],
  [159, 'KRB5_RC_TYPE_EXISTS', 'Replay cache type is already registered'],
  [160, 'KRB5_RC_MALLOC', 'No more memory to allocate (in replay cache code)'],
  [161, 'KRB5_RC_TYPE_NOTFOUND', 'Replay cache type is unknown'],
  [162, 'KRB5_RC_UNKNOWN', 'Generic unknown RC error'],
  [163, 'KRB5_RC_REPLAY', 'Message is a replay'],
  [164, 'KRB5_RC_IO', 'Replay cache I/O operation failed'],
  [165, 'KRB5_RC_NOIO', 'Replay cache type does not support non-volatile storage'],
  [166, 'KRB5_RC_PARSE', 'Replay cache name parse/format error'],
  [167, 'KRB5_RC_IO_EOF', 'End-of-file on replay cache I/O'],
  [168, 'KRB5_RC_IO_MALLOC', 'No more memory to allocate (in replay cache I/O code)'],
  [169, 'KRB5_RC_IO_PERM', 'Permission denied in replay cache code'],
  [170, 'KRB5_RC_IO_IO', 'I/O error in replay cache i/o code'],
  [171, 'KRB5_RC_IO_UNKNOWN', 'Generic unknown RC/IO error'],
  [172, 'KRB5_RC_IO_SPACE', 'Insufficient system space to store replay information'],
  [173, 'KRB5_TRANS_CANTOPEN', "Can't open/find realm translation file"],
  [174, 'KRB5_TRANS_BADFORMAT', 'Improper format of realm translation file'],
  [175, 'KRB5_LNAME_CANTOPEN', "Can't open/find lname translation database"],
  [176, 'KRB5_LNAME_NOTRANS', 'No translation available for requested principal'],
  [177, 'KRB5_LNAME_BADFORMAT', 'Improper format of translation database entry'],
  [178, 'KRB5_CRYPTO_INTERNAL', 'Cryptosystem internal error'],
  [179, 'KRB5_KT_BADNAME', 'Key table name malformed'],
  [180, 'KRB5_KT_UNKNOWN_TYPE', 'Unknown Key table type'],
  [181, 'KRB5_KT_NOTFOUND', 'Key table entry not found'],
  [182, 'KRB5_KT_END', 'End of key table reached'],
  [183, 'KRB5_KT_NOWRITE', 'Cannot write to specified key table'],
  [184, 'KRB5_KT_IOERR', 'Error writing to key table'],
  [185, 'KRB5_NO_TKT_IN_RLM', 'Cannot find ticket for requested realm'],
  [186, 'KRB5DES_BAD_KEYPAR', 'DES key has bad parity'],
  [187, 'KRB5DES_WEAK_KEY', 'DES key is a weak key'],
  [188, 'KRB5_BAD_ENCTYPE', 'Bad encryption type'],
  [189, 'KRB5_BAD_KEYSIZE', 'Key size is incompatible with encryption type'],
  [190, 'KRB5_BAD_MSIZE', 'Message size is incompatible with encryption type'],
  [191, 'KRB5_CC_TYPE_EXISTS', 'Credentials cache type is already registered.'],
  [192, 'KRB5_KT_TYPE_EXISTS', 'Key table type is already registered.'],
  [193, 'KRB5_CC_IO', 'Credentials cache I/O operation failed'],
  [194, 'KRB5_FCC_PERM', 'Credentials cache permissions incorrect'],
  [195, 'KRB5_FCC_NOFILE', 'No credentials cache found'],
  [196, 'KRB5_FCC_INTERNAL', 'Internal credentials cache error'],
  [197, 'KRB5_CC_WRITE', 'Error writing to credentials cache'],
  [198, 'KRB5_CC_NOMEM', 'No more memory to allocate (in credentials cache code)'],
  [199, 'KRB5_CC_FORMAT', 'Bad format in credentials cache'],
  [200, 'KRB5_CC_NOT_KTYPE', 'No credentials found with supported encryption types'],
  [201, 'KRB5_INVALID_FLAGS', 'Invalid KDC option combination (library internal error)'],
  [202, 'KRB5_NO_2ND_TKT', 'Request missing second ticket'],
  [203, 'KRB5_NOCREDS_SUPPLIED', 'No credentials supplied to library routine'],
  [204, 'KRB5_SENDAUTH_BADAUTHVERS', 'Bad sendauth version was sent'],
  [205, 'KRB5_SENDAUTH_BADAPPLVERS', 'Bad application version was sent (via sendauth)'],
  [206, 'KRB5_SENDAUTH_BADRESPONSE', 'Bad response (during sendauth exchange)'],
  [207, 'KRB5_SENDAUTH_REJECTED', 'Server rejected authentication (during sendauth exchange)'],
  [208, 'KRB5_PREAUTH_BAD_TYPE', 'Unsupported preauthentication type'],
  [209, 'KRB5_PREAUTH_NO_KEY', 'Required preauthentication key not supplied'],
  [210, 'KRB5_PREAUTH_FAILED', 'Generic preauthentication failure'],
  [211, 'KRB5_RCACHE_BADVNO', 'Unsupported replay cache format version number'],
  [212, 'KRB5_CCACHE_BADVNO', 'Unsupported credentials cache format version number'],
  [213, 'KRB5_KEYTAB_BADVNO', 'Unsupported key table format version number'],
  [214, 'KRB5_PROG_ATYPE_NOSUPP', 'Program lacks support for address type'],
  [215, 'KRB5_RC_REQUIRED', 'Message replay detection requires rcache parameter'],
  [216, 'KRB5_ERR_BAD_HOSTNAME', 'Hostname cannot be canonicalized'],
  [217, 'KRB5_ERR_HOST_REALM_UNKNOWN', 'Cannot determine realm for host'],
  [218, 'KRB5_SNAME_UNSUPP_NAMETYPE', 'Conversion to service principal undefined for name type'],
  [219, 'KRB5KRB_AP_ERR_V4_REPLY', 'Initial Ticket response appears to be Version 4 error'],
  [220, 'KRB5_REALM_CANT_RESOLVE', 'Cannot resolve network address for KDC in requested realm'],
  [221, 'KRB5_TKT_NOT_FORWARDABLE', "Requesting ticket can't get forwardable tickets"],
  [222, 'KRB5_FWD_BAD_PRINCIPAL', 'Bad principal name while trying to forward credentials'],
  [223, 'KRB5_GET_IN_TKT_LOOP', 'Looping detected inside krb5_get_in_tkt'],
  [224, 'KRB5_CONFIG_NODEFREALM', 'Configuration file does not specify default realm'],
  [225, 'KRB5_SAM_UNSUPPORTED', 'Bad SAM flags in obtain_sam_padata'],
  [226, 'KRB5_SAM_INVALID_ETYPE', 'Invalid encryption type in SAM challenge'],
  [227, 'KRB5_SAM_NO_CHECKSUM', 'Missing checksum in SAM challenge'],
  [228, 'KRB5_SAM_BAD_CHECKSUM', 'Bad checksum in SAM challenge'],
  [229, 'KRB5_KT_NAME_TOOLONG', 'Keytab name too long'],
  [230, 'KRB5_KT_KVNONOTFOUND', 'Key version number for principal in key table is incorrect'],
  [231, 'KRB5_APPL_EXPIRED', 'This application has expired'],
  [232, 'KRB5_LIB_EXPIRED', 'This Krb5 library has expired'],
  [233, 'KRB5_CHPW_PWDNULL', 'New password cannot be zero length'],
  [234, 'KRB5_CHPW_FAIL', 'Password change failed'],
  [235, 'KRB5_KT_FORMAT', 'Bad format in keytab'],
  [236, 'KRB5_NOPERM_ETYPE', 'Encryption type not permitted'],
  [237, 'KRB5_CONFIG_ETYPE_NOSUPP', 'No supported encryption types (config file error?)'],
  [238, 'KRB5_OBSOLETE_FN', 'Program called an obsolete, deleted function'],
  [239, 'KRB5_EAI_FAIL', 'unknown getaddrinfo failure'],
  [240, 'KRB5_EAI_NODATA', 'no data available for host/domain name'],
  [241, 'KRB5_EAI_NONAME', 'host/domain name not found'],
  [242, 'KRB5_EAI_SERVICE', 'service name unknown'],
  [243, 'KRB5_ERR_NUMERIC_REALM', 'Cannot determine realm for numeric host address'],
  [244, 'KRB5_ERR_BAD_S2K_PARAMS', 'Invalid key generation parameters from KDC'],
  [245, 'KRB5_ERR_NO_SERVICE', 'service not available'],
  [246, 'KRB5_CC_READONLY', 'Ccache function not supported: read-only ccache type'],
  [247, 'KRB5_CC_NOSUPP', 'Ccache function not supported: not implemented'],
  [248, 'KRB5_DELTAT_BADFORMAT', 'Invalid format of Kerberos lifetime or clock skew string'],
  [249, 'KRB5_PLUGIN_NO_HANDLE', 'Supplied data not handled by this plugin'],
  [250, 'KRB5_PLUGIN_OP_NOTSUPP', 'Plugin does not support the operation'],
  [251, 'KRB5_ERR_INVALID_UTF8', 'Invalid UTF-8 string'],
  [252, 'KRB5_ERR_FAST_REQUIRED', 'FAST protected pre-authentication required but not supported by KDC'],
  [253, 'KRB5_LOCAL_ADDR_REQUIRED', 'Auth context must contain local address'],
  [254, 'KRB5_REMOTE_ADDR_REQUIRED', 'Auth context must contain remote address'],
  [255, 'KRB5_TRACE_NOSUPP', 'Tracing unsupported'],
];

/** The first k5g codes; KG_KEYTAB_NOMATCH (39756033) was seen on this machine as acquire_cred's minor status. */
const K5G_ROWS: readonly Row[] = [
  [0, 'KG_CCACHE_NOMATCH', 'Principal in credential cache does not match desired name'],
  [1, 'KG_KEYTAB_NOMATCH', 'No principal in keytab matches desired name'],
  [2, 'KG_TGT_MISSING', 'Credential cache has no TGT'],
  [3, 'KG_NO_SUBKEY', 'Authenticator has no subkey'],
  [4, 'KG_CONTEXT_ESTABLISHED', 'Context is already fully established'],
  [5, 'KG_BAD_SIGN_TYPE', 'Unknown signature type in token'],
  [6, 'KG_BAD_LENGTH', 'Invalid field length in token'],
  [7, 'KG_CTX_INCOMPLETE', 'Attempt to use incomplete security context'],
];

/** Every code this module knows, krb5 table first. */
export const COM_ERR_TABLE: readonly ComErr[] = [
  ...KRB5_ROWS.map(([offset, name, text]): ComErr => ({ code: ERROR_TABLE_BASE_krb5 + offset, name, text, table: 'krb5' })),
  ...K5G_ROWS.map(([offset, name, text]): ComErr => ({ code: ERROR_TABLE_BASE_k5g + offset, name, text, table: 'k5g' })),
];

const BY_CODE = new Map(COM_ERR_TABLE.map((e) => [e.code, e]));
const BY_NAME = new Map(COM_ERR_TABLE.map((e) => [e.name, e]));

/**
 * com_err codes are 32-bit: MIT prints them signed (-1765328353), python-gssapi and some logs
 * unsigned (2529639043). Both spellings name the same code.
 */
export function normalizeComErrCode(code: number): number {
  return code > 0x7fffffff && code <= 0xffffffff ? code - 0x100000000 : code;
}

/** The entry for a code (signed or unsigned spelling), if this table has it. */
export function comErr(code: number): ComErr | undefined {
  return BY_CODE.get(normalizeComErrCode(code));
}

/** KRB5KDC_ERR_PREAUTH_FAILED for -1765328360 (or 2529638936). */
export function comErrName(code: number): string | undefined {
  return comErr(code)?.name;
}

/** -1765328360 for KRB5KDC_ERR_PREAUTH_FAILED. */
export function comErrCode(name: string): number | undefined {
  return BY_NAME.get(name)?.code;
}

/** MIT's text for a code: "Preauthentication failed" for -1765328360. */
export function comErrText(code: number): string | undefined {
  return comErr(code)?.text;
}

/**
 * The RFC 4120 name of a KRB-ERROR error-code: KDC_ERR_PREAUTH_FAILED for 24, KRB_AP_ERR_SKEW for 37.
 * MIT names the protocol codes with a KRB5 prefix (KRB5KDC_ERR_*, KRB5KRB_AP_ERR_*, KRB5KRB_ERR_*).
 */
export function krbErrorName(code: number): string | undefined {
  if (!Number.isInteger(code) || code < 0 || code > 127) return undefined;
  const name = comErrName(ERROR_TABLE_BASE_krb5 + code);
  return name?.replace(/^KRB5(?=KDC_|KRB_)/, '');
}

/** The com_err code MIT uses for a KRB-ERROR error-code. */
export function krbErrorComErr(code: number): number {
  return ERROR_TABLE_BASE_krb5 + code;
}

// ---- GSS-API major status (RFC 2744 §3.9.1) -------------------------------------------------

export interface GssMajor {
  name: string;
  /** The status value in its field: routine errors << 16, calling errors << 24, supplementary bits. */
  code: number;
  kind: 'routine' | 'calling' | 'supplementary';
  /** What MIT's gss_display_status prints (two spaces after "failure." are MIT's). */
  text: string;
}

const routine = (n: number) => n * 0x10000;
const calling = (n: number) => n * 0x1000000;

export const GSS_MAJORS: readonly GssMajor[] = [
  { name: 'GSS_S_BAD_MECH', code: routine(1), kind: 'routine', text: 'An unsupported mechanism was requested' },
  { name: 'GSS_S_BAD_NAME', code: routine(2), kind: 'routine', text: 'An invalid name was supplied' },
  { name: 'GSS_S_BAD_NAMETYPE', code: routine(3), kind: 'routine', text: 'A supplied name was of an unsupported type' },
  { name: 'GSS_S_BAD_BINDINGS', code: routine(4), kind: 'routine', text: 'Incorrect channel bindings were supplied' },
  { name: 'GSS_S_BAD_STATUS', code: routine(5), kind: 'routine', text: 'An invalid status code was supplied' },
  { name: 'GSS_S_BAD_SIG', code: routine(6), kind: 'routine', text: 'A token had an invalid Message Integrity Check (MIC)' },
  { name: 'GSS_S_NO_CRED', code: routine(7), kind: 'routine', text: 'No credentials were supplied, or the credentials were unavailable or inaccessible' },
  { name: 'GSS_S_NO_CONTEXT', code: routine(8), kind: 'routine', text: 'No context has been established' },
  { name: 'GSS_S_DEFECTIVE_TOKEN', code: routine(9), kind: 'routine', text: 'Invalid token was supplied' },
  { name: 'GSS_S_DEFECTIVE_CREDENTIAL', code: routine(10), kind: 'routine', text: 'Invalid credential was supplied' },
  { name: 'GSS_S_CREDENTIALS_EXPIRED', code: routine(11), kind: 'routine', text: 'The referenced credential has expired' },
  { name: 'GSS_S_CONTEXT_EXPIRED', code: routine(12), kind: 'routine', text: 'The referenced context has expired' },
  { name: 'GSS_S_FAILURE', code: routine(13), kind: 'routine', text: 'Unspecified GSS failure.  Minor code may provide more information' },
  { name: 'GSS_S_BAD_QOP', code: routine(14), kind: 'routine', text: 'The quality-of-protection (QOP) requested could not be provided' },
  { name: 'GSS_S_UNAUTHORIZED', code: routine(15), kind: 'routine', text: 'The operation is forbidden by local security policy' },
  { name: 'GSS_S_UNAVAILABLE', code: routine(16), kind: 'routine', text: 'The operation or option is not available or unsupported' },
  { name: 'GSS_S_DUPLICATE_ELEMENT', code: routine(17), kind: 'routine', text: 'The requested credential element already exists' },
  { name: 'GSS_S_NAME_NOT_MN', code: routine(18), kind: 'routine', text: 'The provided name was not mechanism specific (MN)' },
  { name: 'GSS_S_CALL_INACCESSIBLE_READ', code: calling(1), kind: 'calling', text: 'A required input parameter could not be read' },
  { name: 'GSS_S_CALL_INACCESSIBLE_WRITE', code: calling(2), kind: 'calling', text: 'A required output parameter could not be written' },
  { name: 'GSS_S_CALL_BAD_STRUCTURE', code: calling(3), kind: 'calling', text: 'A parameter was malformed' },
  { name: 'GSS_S_CONTINUE_NEEDED', code: 1, kind: 'supplementary', text: 'The routine must be called again to complete its function' },
  { name: 'GSS_S_DUPLICATE_TOKEN', code: 2, kind: 'supplementary', text: 'The token was a duplicate of an earlier token' },
  { name: 'GSS_S_OLD_TOKEN', code: 4, kind: 'supplementary', text: "The token's validity period has expired" },
  { name: 'GSS_S_UNSEQ_TOKEN', code: 8, kind: 'supplementary', text: 'A later token has already been processed' },
  { name: 'GSS_S_GAP_TOKEN', code: 16, kind: 'supplementary', text: 'An expected per-message token was not received' },
];

/** RFC 2744 gives GSS_S_BAD_SIG a second name. */
const GSS_ALIASES: Readonly<Record<string, string>> = { GSS_S_BAD_MIC: 'GSS_S_BAD_SIG' };

const GSS_BY_NAME = new Map(GSS_MAJORS.map((m) => [m.name, m]));

/** A major status by name, aliases included (GSS_S_BAD_MIC → GSS_S_BAD_SIG). */
export function gssMajor(name: string): GssMajor | undefined {
  return GSS_BY_NAME.get(GSS_ALIASES[name] ?? name);
}

/**
 * The routine or calling error in a full major status word (851968 → GSS_S_FAILURE); supplementary
 * bits alone name the supplementary status. Undefined for 0 (GSS_S_COMPLETE) and unknown values.
 */
export function gssMajorName(status: number): string | undefined {
  const word = status >>> 0;
  const routineField = word & 0x00ff0000;
  const callingField = (word & 0xff000000) >>> 0;
  const errorField = routineField || callingField;
  if (errorField) return GSS_MAJORS.find((m) => m.code === errorField)?.name;
  return GSS_MAJORS.find((m) => m.kind === 'supplementary' && m.code === (word & 0xffff))?.name;
}
