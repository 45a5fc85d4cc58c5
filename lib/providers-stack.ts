import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { ServiceDeclaration } from '@bulwark/runtime';

export interface ProvidersStackProps extends StackProps {
  /** The service this stack deploys. */
  readonly service: ServiceDeclaration;
}

/** The example app's stack: deploys one declared service with its monitoring. */
export class ProvidersStack extends Stack {
  readonly service: ServiceDeclaration;

  constructor(scope: Construct, id: string, props: ProvidersStackProps) {
    super(scope, id, props);
    this.service = props.service;
  }
}
