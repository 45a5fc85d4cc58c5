/**
 * Puts into cdk.json the feature flags `cdk init` writes for a new project, taken from the pinned
 * aws-cdk-lib (offline): `CURRENTLY_RECOMMENDED_FLAGS` of `aws-cdk-lib/cx-api`, the same set the
 * library ships as `recommended-feature-flags.json` and the CLI copies into its init templates.
 * Merged as `cdk init` merges them (`{ ...context, ...flags }`, flags sorted by name, written
 * with two-space indentation), so every other context key stays.
 *
 *   ./nodew npx tsx scripts/cdk-feature-flags.ts           # rewrite cdk.json
 *   ./nodew npx tsx scripts/cdk-feature-flags.ts --check   # exit 1 when cdk.json differs
 *
 * Run it after upgrading aws-cdk-lib; test/constructs/aws/feature-flags.test.ts fails until then.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CURRENTLY_RECOMMENDED_FLAGS } from 'aws-cdk-lib/cx-api';

export const CDK_JSON = join(__dirname, '..', 'cdk.json');

/** The recommended flags of the installed aws-cdk-lib, sorted by name (as `cdk init` writes them). */
export function recommendedFlags(): Record<string, unknown> {
  return Object.fromEntries(
    Object.keys(CURRENTLY_RECOMMENDED_FLAGS)
      .sort()
      .map((k) => [k, CURRENTLY_RECOMMENDED_FLAGS[k] as unknown]),
  );
}

/** `cdk.json` (parsed) with the recommended flags merged into its context, the rest untouched. */
export function withRecommendedFlags(cdkJson: Record<string, unknown>): Record<string, unknown> {
  const context = (cdkJson.context ?? {}) as Record<string, unknown>;
  return { ...cdkJson, context: { ...context, ...recommendedFlags() } };
}

/** The text `cdk init` would write for this configuration. */
export function render(cdkJson: Record<string, unknown>): string {
  return `${JSON.stringify(cdkJson, null, 2)}\n`;
}

if (require.main === module) {
  const current = readFileSync(CDK_JSON, 'utf8');
  const wanted = render(withRecommendedFlags(JSON.parse(current) as Record<string, unknown>));
  if (process.argv.includes('--check')) {
    if (current !== wanted) {
      process.stderr.write('cdk.json does not carry the recommended feature flags of the installed aws-cdk-lib: run ./nodew npx tsx scripts/cdk-feature-flags.ts\n');
      process.exit(1);
    }
  } else if (current !== wanted) {
    writeFileSync(CDK_JSON, wanted);
    process.stdout.write(`cdk.json: ${Object.keys(recommendedFlags()).length} recommended feature flags\n`);
  }
}
