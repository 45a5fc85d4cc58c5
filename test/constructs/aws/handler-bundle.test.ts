/**
 * The dashboards upload handler ships compiled (constructs/lambda/dashboards-handler/index.js):
 * the committed bundle must be what its sources bundle to today, and load as a Lambda entry.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SERVICE_ACCOUNT_OPERATIONS } from '../../../constructs/src/aws/dashboards-handler/service-account';
import { HANDLER_BUNDLE } from '../../../constructs/src/aws/service-dashboards';

const CONSTRUCTS = join(__dirname, '..', '..', '..', 'constructs');

describe('the committed upload handler bundle', () => {
  it('is what src/aws/dashboards-handler bundles to (else: npm run build:handler -w @bulwark/constructs)', () => {
    const check = spawnSync(process.execPath, ['scripts/build-handler.mjs', '--check'], { cwd: CONSTRUCTS, encoding: 'utf8', timeout: 60_000 });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  });

  it('is where the construct copies it from, and exports the Lambda handler', () => {
    expect(HANDLER_BUNDLE).toBe(join(CONSTRUCTS, 'lambda', 'dashboards-handler', 'index.js'));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const entry = require(HANDLER_BUNDLE) as { handler?: unknown };
    expect(typeof entry.handler).toBe('function');
  });

  it('sends exactly the AWS commands of SERVICE_ACCOUNT_OPERATIONS (the actions its IAM policy allows)', () => {
    const js = readFileSync(HANDLER_BUNDLE, 'utf8');
    const sent = [...new Set([...js.matchAll(/\bsdk\.(\w+)Command\b/g)].map((m) => m[1]))].sort();
    expect(sent).toEqual([...SERVICE_ACCOUNT_OPERATIONS].sort());
    expect(js).not.toMatch(/DeleteWorkspaceServiceAccountToken/);
  });
});
