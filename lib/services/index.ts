import type { ServiceDeclaration } from '@bulwark/runtime';
import { providersService } from './providers';

export { providersService };

/** Every declared service: the generators write rules and dashboards for each. */
export const SERVICES: readonly ServiceDeclaration[] = [providersService];
