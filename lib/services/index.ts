import type { ServiceDeclaration } from '@bulwark/runtime';
import type { ImageSource } from '../service-stack';
import { providersService } from './providers';

export { providersService };

/** A declared service and where the example app gets its image. */
export interface ServiceDeployment {
  readonly service: ServiceDeclaration;
  readonly image: ImageSource;
}

/** Every service the example app deploys (one stack each) and the generators write rules and dashboards for. */
export const DEPLOYMENTS: readonly ServiceDeployment[] = [{ service: providersService, image: { dockerfile: 'service/Dockerfile' } }];

export const SERVICES: readonly ServiceDeclaration[] = DEPLOYMENTS.map((d) => d.service);
