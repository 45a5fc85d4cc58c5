#!/usr/bin/env node
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { buildExampleApp } from '../lib/example-app';
import { DEPLOYMENTS } from '../lib/services';
import { synthKubernetesManifests } from './k8s';

const app = new App();
// `-c certificateArn=arn:aws:acm:<region>:<account>:certificate/<id>`: the load balancer serves HTTPS
// with it. Without it, plain HTTP (for a test environment only) and synth warns how to add one.
buildExampleApp(app, DEPLOYMENTS);
app.synth();

// The main job also writes the Kubernetes manifests of every declared service (cdk8s).
const written = synthKubernetesManifests(join(__dirname, '..', 'dist', 'k8s'));
process.stderr.write(`Kubernetes manifests: ${written.length} files in dist/k8s\n`);
