/**
 * The hardening every container of an ObservedService task gets: a read-only root filesystem with a
 * scratch /tmp of its own, no Linux capabilities, an init process, a non-root user. Each of these
 * is supported on Fargate (platform 1.4.0 and later): capabilities can be dropped (only SYS_PTRACE
 * can be added), `initProcessEnabled` runs the container under an init that reaps zombies and
 * forwards signals, and a task volume without a host path is a bind mount on the task's ephemeral
 * storage (Fargate has no tmpfs), gone when the task stops.
 *
 * Fargate creates such a bind mount owned by root with mode 0755, unless the image declares a
 * `VOLUME` at the same path: then it copies the image's directory, contents, owner and mode
 * included. So a non-root user can write its /tmp only when its image declares `VOLUME ["/tmp"]`
 * (the Node.js images' /tmp is 1777). The ADOT collector writes no file in a container (it logs to
 * stderr and the rendered configuration stores nothing on disk): its /tmp may stay root's.
 */
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type { Construct } from 'constructs';

/**
 * The user the app container runs as: the `node` user (uid and gid 1000) of the official Node.js
 * images, which the service image's final stage runs as.
 */
export const APP_USER = '1000:1000';

/** The ADOT collector image's own user, `aoc` (uid and gid 4317 in its Dockerfile). */
export const COLLECTOR_USER = '4317:4317';

/** Where each container's writable scratch volume is mounted (everything else is read-only). */
export const SCRATCH_PATH = '/tmp';

/** The hardened container options, for `addContainer`. */
export function hardenedContainerOptions(scope: Construct, id: string, user: string): Pick<ecs.ContainerDefinitionOptions, 'user' | 'readonlyRootFilesystem' | 'linuxParameters'> {
  const linuxParameters = new ecs.LinuxParameters(scope, id, { initProcessEnabled: true });
  linuxParameters.dropCapabilities(ecs.Capability.ALL);
  return { user, readonlyRootFilesystem: true, linuxParameters };
}

/** Gives `container` a task volume of its own (not shared with the other containers), mounted at /tmp. */
export function mountScratch(taskDefinition: ecs.TaskDefinition, container: ecs.ContainerDefinition): void {
  const sourceVolume = `${container.containerName}-tmp`;
  taskDefinition.addVolume({ name: sourceVolume });
  container.addMountPoints({ containerPath: SCRATCH_PATH, sourceVolume, readOnly: false });
}
