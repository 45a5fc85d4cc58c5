/** Node's error codes for a server certificate that did not verify, as the adapters explain them. */

/** The chain does not lead to a trusted CA. */
export const CERT_CHAIN_ERRORS: ReadonlySet<string> = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);

/** The certificate (or its CA) is outside its validity period. */
export const CERT_VALIDITY_ERRORS: ReadonlySet<string> = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);

/** The certificate does not name the host connected to. */
export const CERT_HOST_ERROR = 'ERR_TLS_CERT_ALTNAME_INVALID';
