// Validates Kubernetes manifests against the kubernetes-models / @kubernetes-models/prometheus-operator
// schemas. Those packages are ESM-only, so jest spawns this script instead of requiring them.
// Usage: node validate-manifests.mjs FILE...   (multi-document YAML or JSON)
// Prints one JSON line: [{ file, index, kind, name, ok, error? }] and exits 0 (1 on a usage error).
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';

const MODELS = {
  'apps/v1/Deployment': Deployment,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
};

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node validate-manifests.mjs FILE...');
  process.exit(1);
}

const results = [];
for (const file of files) {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'));
  docs.forEach((doc, index) => {
    const obj = doc.toJS();
    if (obj === null || obj === undefined) return;
    const key = `${obj.apiVersion}/${obj.kind}`;
    const Model = MODELS[key];
    const entry = { file, index, kind: obj.kind, name: obj.metadata?.name };
    if (doc.errors.length) {
      results.push({ ...entry, ok: false, error: `YAML: ${doc.errors.map((e) => e.message).join('; ')}` });
    } else if (!Model) {
      results.push({ ...entry, ok: false, error: `no schema for ${key}` });
    } else {
      try {
        new Model(obj).validate();
        results.push({ ...entry, ok: true });
      } catch (err) {
        results.push({ ...entry, ok: false, error: String(err?.message ?? err) });
      }
    }
  });
}
console.log(JSON.stringify(results));
