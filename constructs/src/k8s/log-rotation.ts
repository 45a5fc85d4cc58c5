/**
 * Container log rotation. On Kubernetes the kubelet rotates container logs, not the pod, so the
 * chart cannot set it: these are the node settings to apply (the seeds' Docker `max-size: 10m`,
 * `max-file: 3`), exported so whoever creates the nodes (e.g. the AWS side) passes the same values.
 */
import { Document } from 'yaml';
import { parseQuantity } from './quantity';

export interface KubeletLogRotation {
  /** Size at which the kubelet rotates a container's log file (Kubernetes quantity). */
  readonly containerLogMaxSize: string;
  /** Log files kept per container, the live one included (the kubelet requires at least 2). */
  readonly containerLogMaxFiles: number;
}

/** 10 MiB × 3 files per container: at most 30 MiB of logs per container on a node. */
export const KUBELET_LOG_ROTATION: KubeletLogRotation = Object.freeze({
  containerLogMaxSize: '10Mi',
  containerLogMaxFiles: 3,
});

/** Where the snippet is written, relative to the manifests folder (a subfolder, so `kubectl apply -f <dir>` skips it). */
export const KUBELET_CONFIG_FILE = 'node/kubelet-log-rotation.yaml';

export function checkLogRotation(settings: KubeletLogRotation): void {
  const problems: string[] = [];
  if (parseQuantity(settings.containerLogMaxSize) === undefined) {
    problems.push(`containerLogMaxSize: ${JSON.stringify(settings.containerLogMaxSize)} is not a Kubernetes quantity (e.g. '10Mi')`);
  }
  if (!Number.isInteger(settings.containerLogMaxFiles) || settings.containerLogMaxFiles < 2) {
    problems.push(`containerLogMaxFiles: must be a whole number of at least 2 (the kubelet's minimum), got ${JSON.stringify(settings.containerLogMaxFiles)}`);
  }
  if (problems.length) throw new Error(`Invalid kubelet log rotation:\n  - ${problems.join('\n  - ')}`);
}

/** A KubeletConfiguration fragment to merge into the nodes' kubelet config (it is not a cluster object). */
export function renderKubeletLogRotation(settings: KubeletLogRotation = KUBELET_LOG_ROTATION): string {
  checkLogRotation(settings);
  const doc = new Document({
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    containerLogMaxSize: settings.containerLogMaxSize,
    containerLogMaxFiles: settings.containerLogMaxFiles,
  });
  doc.commentBefore = [
    ' Container log rotation is done by the kubelet on each node, not by the pod.',
    ' Merge these fields into the kubelet configuration of the nodes that run Bulwark services',
    ' (e.g. the file passed with --config, or your node group\'s kubelet settings).',
    ` ${settings.containerLogMaxFiles} files x ${settings.containerLogMaxSize} per container.`,
    ' This file is NOT a cluster object: do not kubectl apply it.',
  ].join('\n');
  return doc.toString({ lineWidth: 0 });
}
