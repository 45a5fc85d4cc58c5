/** The standard labels every object of a service's chart carries. */
import type { ServiceDeclaration } from '@bulwark/runtime/declaration';
import type { Labels } from './props';

/** The label the ServiceMonitor takes the `job` label from: its value is the declared service name. */
export const JOB_LABEL = 'app.kubernetes.io/name';

/** Labels that pick the service's pods (and, for the ServiceMonitor, its Service); never change on upgrade. */
export function selectorLabels(service: ServiceDeclaration): Labels {
  return { [JOB_LABEL]: service.name };
}

export function commonLabels(service: ServiceDeclaration): Labels {
  return {
    ...selectorLabels(service),
    'app.kubernetes.io/version': service.version,
    'app.kubernetes.io/managed-by': 'bulwark',
  };
}
