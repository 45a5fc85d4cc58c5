import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { ServiceDeployment } from './services';
import { ServiceStack } from './service-stack';

/** `Bulwark` + the service name in PascalCase: `providers` → `BulwarkProviders`. */
export function stackId(serviceName: string): string {
  return `Bulwark${serviceName.replace(/(^|-)([a-z0-9])/g, (_m, _dash: string, c: string) => c.toUpperCase())}`;
}

/**
 * The example app: one ServiceStack per declared service, each with its own image. AwsSolutions
 * checks run on every synth: an unacknowledged finding fails it (cdk.out/validation-report.json).
 */
export function buildExampleApp(app: App, deployments: readonly ServiceDeployment[]): ServiceStack[] {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return deployments.map(
    (d) =>
      new ServiceStack(app, stackId(d.service.name), {
        service: d.service,
        image: d.image,
        // `cdk synth -c secrets=import` when the secrets already exist under bulwark/<service>/<VAR>.
        secrets: app.node.tryGetContext('secrets') === 'import' ? 'import' : 'create',
      }),
  );
}
