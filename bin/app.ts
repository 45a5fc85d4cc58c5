#!/usr/bin/env node
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { providersService } from '../lib/services';
import { ProvidersStack } from '../lib/providers-stack';
import { synthKubernetesManifests } from './k8s';

const app = new App();
// AwsSolutions checks run on every synth: an unacknowledged finding fails it
// (report in cdk.out/validation-report.json).
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

new ProvidersStack(app, 'BulwarkProviders', {
  service: providersService,
  // `cdk synth -c secrets=import` when the secrets already exist under bulwark/<service>/<VAR>.
  secrets: app.node.tryGetContext('secrets') === 'import' ? 'import' : 'create',
});
app.synth();

// The main job also writes the Kubernetes manifests of every declared service (cdk8s).
const written = synthKubernetesManifests(join(__dirname, '..', 'dist', 'k8s'));
process.stderr.write(`Kubernetes manifests: ${written.length} files in dist/k8s\n`);
