import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Records that an AwsSolutions (cdk-nag) finding on `scope` and its children is accepted, with
 * the reason a reviewer reads in the validation report. Used only where the finding is inherent
 * to what the construct is for.
 */
export function acknowledgeNag(scope: IConstruct, id: `AwsSolutions-${string}`, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}
