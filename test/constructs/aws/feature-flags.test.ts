/**
 * cdk.json carries exactly the feature flags `cdk init` writes for the pinned aws-cdk-lib, so
 * `cdk synth` prints no "feature flags are not configured" notice. After an aws-cdk-lib upgrade
 * this fails until `./nodew npx tsx scripts/cdk-feature-flags.ts` is run (and the result reviewed).
 */
import { readFileSync } from 'node:fs';
import { CURRENTLY_RECOMMENDED_FLAGS, FLAGS } from 'aws-cdk-lib/cx-api';
import { CDK_JSON, recommendedFlags, render, withRecommendedFlags } from '../../../scripts/cdk-feature-flags';
import { CDK_JSON_CONTEXT } from './support';

const text = readFileSync(CDK_JSON, 'utf8');
const cdkJson = JSON.parse(text) as { app: string; context: Record<string, unknown> };
const isFlag = (key: string) => key in FLAGS || key in CURRENTLY_RECOMMENDED_FLAGS;

describe('cdk.json feature flags', () => {
  it("are exactly the installed aws-cdk-lib's recommended flags, with their recommended values", () => {
    const flags = Object.fromEntries(Object.entries(cdkJson.context).filter(([key]) => isFlag(key)));
    expect(flags).toEqual(CURRENTLY_RECOMMENDED_FLAGS);
    expect(Object.keys(flags).length).toBeGreaterThan(50);
  });

  it('leave no flag the CLI reports as "not configured" (unset, and unset behaves unlike the recommended value)', () => {
    // The rule of `cdk synth`'s notice (aws-cdk FlagOperations.filterNeedsAttention).
    const needsAttention = Object.entries(FLAGS)
      .filter(([key]) => !(key in cdkJson.context))
      .filter(([, flag]) => (flag.unconfiguredBehavesLike?.v2 ?? false) !== flag.recommendedValue)
      .map(([key]) => key);
    expect(needsAttention).toEqual([]);
    // Without cdk.json's context, the same rule finds dozens.
    expect(Object.entries(FLAGS).filter(([, flag]) => (flag.unconfiguredBehavesLike?.v2 ?? false) !== flag.recommendedValue).length).toBeGreaterThan(50);
  });

  it('are the set the library ships for `cdk init` (recommended-feature-flags.json)', () => {
    const shipped = JSON.parse(readFileSync(require.resolve('aws-cdk-lib/recommended-feature-flags.json'), 'utf8')) as Record<string, unknown>;
    expect(recommendedFlags()).toEqual(shipped);
  });

  it('are what scripts/cdk-feature-flags.ts writes: regenerating changes nothing', () => {
    expect(render(withRecommendedFlags(cdkJson))).toBe(text);
  });

  it('keep the app and its own context keys', () => {
    expect(cdkJson.app).toBe('npx tsx bin/app.ts');
    expect(cdkJson.context).toMatchObject({
      '@aws-cdk/core:checkSecretUsage': true,
      '@aws-cdk/aws-iam:minimizePolicies': true,
      '@aws-cdk/core:target-partitions': ['aws', 'aws-cn'],
    });
    // The construct tests synthesize with this very context (FLAG_SETS.recommended).
    expect(CDK_JSON_CONTEXT).toEqual(cdkJson.context);
  });
});
