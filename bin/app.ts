#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { providersService } from '../lib/services';
import { ProvidersStack } from '../lib/providers-stack';

const app = new App();
new ProvidersStack(app, 'BulwarkProviders', { service: providersService });
app.synth();
