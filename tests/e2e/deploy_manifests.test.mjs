// deploy/: the Kubernetes manifests against the Kubernetes and Gateway API JSON
// schemas (npm kubernetes-models, @kubernetes-models/gateway-api), the
// kustomizations, the compose file, and lint rules on the Dockerfile
// (dockerfile-ast). No cluster or Docker engine runs here: these are static checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { DockerfileParser } from 'dockerfile-ast';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Service, PersistentVolumeClaim, ConfigMap, ServiceAccount } from 'kubernetes-models/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { HTTPRoute } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1';

const K8S = 'deploy/k8s';
const MODELS = {
  'apps/v1/Deployment': Deployment,
  'v1/Service': Service,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'v1/ConfigMap': ConfigMap,
  'v1/ServiceAccount': ServiceAccount,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
  'gateway.networking.k8s.io/v1/HTTPRoute': HTTPRoute,
};

function docs(file) {
  return YAML.parseAllDocuments(fs.readFileSync(file, 'utf8')).map((d) => {
    assert.equal(d.errors.length, 0, `${file}: ${d.errors.join('; ')}`);
    return d.toJS();
  }).filter(Boolean);
}

// The resources a kustomization names, recursively through bases, read as kustomize
// would list them (no patches are used here, so the list is the build's content).
function kustomize(dir) {
  const k = docs(path.join(dir, 'kustomization.yaml'))[0];
  assert.equal(k.kind, 'Kustomization');
  const out = [];
  for (const r of k.resources) {
    const p = path.join(dir, r);
    assert.ok(fs.existsSync(p), `${dir}/kustomization.yaml lists ${r}, which does not exist`);
    if (fs.statSync(p).isDirectory()) out.push(...kustomize(p));
    else out.push(...docs(p).map((d) => ({ ...d, file: p })));
  }
  return out;
}

const key = (d) => `${d.apiVersion}/${d.kind}`;
const base = kustomize(`${K8S}/base`);
const gateway = kustomize(`${K8S}/inference-gateway`);
const qvlDeployment = base.find((d) => d.kind === 'Deployment' && d.metadata.name === 'qvl');

test('every resource of both kustomizations validates against its JSON schema', () => {
  const seen = new Set();
  for (const d of gateway) {
    if (d.kind === 'InferencePool') continue;  // no schema in the npm packages: checked below
    const Model = MODELS[key(d)];
    assert.ok(Model, `${d.file}: no schema wired for ${key(d)}`);
    assert.doesNotThrow(() => new Model(structuredClone({ ...d, file: undefined })).validate(), `${d.file} ${d.kind}`);
    seen.add(d.kind);
  }
  for (const k of ['Deployment', 'Service', 'PersistentVolumeClaim', 'HorizontalPodAutoscaler', 'HTTPRoute', 'Role'])
    assert.ok(seen.has(k), k);
});

test('the schemas do reject a broken manifest (the validator is live)', () => {
  const bad = structuredClone(qvlDeployment);
  delete bad.file;
  bad.spec.template.spec.containers[0].ports[0].containerPort = 'eighty';
  assert.throws(() => new Deployment(bad).validate());
});

test('kubectl kustomize builds both overlays to the same resources as the listing', (t) => {
  let kubectl = null;
  try { execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' }); kubectl = 'kubectl'; } catch { /* absent */ }
  if (!kubectl) return t.skip('kubectl is not installed (not in Debian 12 main at a usable version): only the listing check above ran');
  for (const [dir, listed] of [[`${K8S}/base`, base], [`${K8S}/inference-gateway`, gateway]]) {
    const built = YAML.parseAllDocuments(execFileSync(kubectl, ['kustomize', dir], { encoding: 'utf8' })).map((d) => d.toJS());
    const names = (l) => l.map((d) => `${d.kind}/${d.metadata.name}`).sort();
    assert.deepEqual(names(built), names(listed), dir);
  }
});

test('the qvl Deployment: probes on /health, resources, model volume, non-root', () => {
  const pod = qvlDeployment.spec.template.spec;
  const c = pod.containers.find((x) => x.name === 'qvl');
  const portName = c.ports[0].name;
  for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
    assert.equal(c[probe].httpGet.path, '/health', probe);
    assert.equal(c[probe].httpGet.port, portName, probe);
  }
  assert.ok(c.resources.requests.cpu && c.resources.requests.memory && c.resources.limits.memory);
  assert.equal(pod.securityContext.runAsNonRoot, true);
  const claim = pod.volumes.find((v) => v.persistentVolumeClaim).persistentVolumeClaim.claimName;
  assert.ok(base.some((d) => d.kind === 'PersistentVolumeClaim' && d.metadata.name === claim));
  assert.ok(c.volumeMounts.some((m) => m.mountPath === '/models'));
  const svc = base.find((d) => d.kind === 'Service' && d.metadata.name === 'qvl');
  assert.deepEqual(svc.spec.selector, qvlDeployment.spec.selector.matchLabels);
  assert.equal(svc.spec.ports[0].targetPort, portName);
});

test('the HPA scales the qvl Deployment on the queue metric qvl exports', () => {
  const hpa = base.find((d) => d.kind === 'HorizontalPodAutoscaler');
  assert.equal(hpa.spec.scaleTargetRef.name, qvlDeployment.metadata.name);
  assert.equal(hpa.spec.metrics[0].type, 'Pods');
  assert.equal(hpa.spec.metrics[0].pods.metric.name, 'qvl_queue_depth');
  assert.ok(fs.readFileSync('src/serve/deploy/metrics.cpp', 'utf8').includes('"qvl_queue_depth "'));
});

test('InferencePool (inference.networking.k8s.io/v1, no npm schema): fields checked by hand', () => {
  const pools = gateway.filter((d) => d.kind === 'InferencePool');
  assert.equal(pools.length, 1);
  const p = pools[0];
  assert.equal(p.apiVersion, 'inference.networking.k8s.io/v1');
  assert.deepEqual(Object.keys(p.spec).sort(), ['endpointPickerRef', 'selector', 'targetPorts']);
  assert.deepEqual(p.spec.selector.matchLabels, qvlDeployment.spec.template.metadata.labels);
  const containerPort = qvlDeployment.spec.template.spec.containers[0].ports[0].containerPort;
  assert.deepEqual(p.spec.targetPorts, [{ number: containerPort }]);
  const epp = p.spec.endpointPickerRef;
  assert.ok(['FailOpen', 'FailClose'].includes(epp.failureMode));
  const eppSvc = gateway.find((d) => d.kind === 'Service' && d.metadata.name === epp.name);
  assert.ok(eppSvc, `endpoint picker Service ${epp.name}`);
  assert.equal(eppSvc.spec.ports[0].port, epp.port.number);
  const route = gateway.find((d) => d.kind === 'HTTPRoute');
  const ref = route.spec.rules[0].backendRefs[0];
  assert.deepEqual([ref.group, ref.kind, ref.name], ['inference.networking.k8s.io', 'InferencePool', p.metadata.name]);
});

test('the endpoint picker reads metric names that qvl exports', () => {
  const epp = gateway.find((d) => d.kind === 'Deployment' && d.metadata.name === 'qvl-epp');
  const args = epp.spec.template.spec.containers[0].args;
  const flag = (f) => args[args.indexOf(f) + 1];
  const src = fs.readFileSync('src/serve/deploy/metrics.cpp', 'utf8');
  for (const f of ['--total-queued-requests-metric', '--total-running-requests-metric',
    '--kv-cache-usage-percentage-metric', '--lora-info-metric']) {
    assert.ok(args.includes(f), f);
    assert.ok(src.includes(`TYPE ${flag(f)} gauge`), `${f} ${flag(f)} is a gauge qvl renders`);
  }
  // The values move under load: tests/e2e/serve_gateway_metrics.test.mjs.
});

test('compose: an instruct + thinking pair on a model volume, pulled first, health-checked', () => {
  const c = YAML.parse(fs.readFileSync('deploy/docker/compose.yaml', 'utf8'));
  const q = c.services.qvl;
  assert.equal(q.command[0], 'serve');
  assert.ok(q.command.includes('--model') && q.command.includes('--thinking-model'));
  assert.equal(q.depends_on.pull.condition, 'service_completed_successfully');
  assert.equal(c.services.pull.command[0], 'pull');
  assert.ok(q.healthcheck.test.join(' ').includes('/health'));
  for (const s of [q, c.services.pull]) assert.ok(s.volumes.some((v) => v.startsWith('models:/models')));
  assert.ok('models' in c.volumes);
  assert.equal(c.services.pull.build.dockerfile, 'deploy/docker/Dockerfile');
  assert.ok(fs.existsSync(path.join('deploy/docker', c.services.pull.build.context, c.services.pull.build.dockerfile)));
});

// Lint rules for a Dockerfile; returns the problems found, one line each.
function lintDockerfile(text) {
  const df = DockerfileParser.parse(text);
  const ins = df.getInstructions();
  const problems = [];
  const froms = ins.filter((i) => i.getKeyword() === 'FROM');
  const stages = new Set(froms.map((f) => f.getBuildStage()).filter(Boolean));
  if (froms.length < 2) problems.push('not multi-stage: build tools would ship in the image');
  for (const f of froms) {
    const image = f.getImageName();
    if (stages.has(image)) continue;
    const tag = f.getImageTag(), digest = f.getImageDigest();
    if (!digest && (!tag || tag === 'latest')) problems.push(`FROM ${f.getArgumentsContent()}: pin a tag or digest`);
  }
  const lastFrom = froms.at(-1);
  const finalStage = lastFrom ? ins.filter((i) => i.getRange().start.line > lastFrom.getRange().start.line) : [];
  const users = finalStage.filter((i) => i.getKeyword() === 'USER');
  const user = users.at(-1)?.getArgumentsContent().trim();
  if (!user) problems.push('no USER in the final stage: the server would run as root');
  else if (['root', '0', '0:0'].includes(user)) problems.push(`USER ${user} is root`);
  if (!ins.some((i) => i.getKeyword() === 'HEALTHCHECK' && !/^NONE\b/i.test(i.getArgumentsContent())))
    problems.push('no HEALTHCHECK');
  for (const i of ins.filter((x) => x.getKeyword() === 'ADD'))
    if (/https?:\/\//.test(i.getArgumentsContent())) problems.push(`ADD of a URL: ${i.getArgumentsContent()}`);
  for (const i of ins.filter((x) => x.getKeyword() === 'RUN')) {
    const cmd = i.getArgumentsContent();
    if (/apt-get\s+(-\S+\s+)*install/.test(cmd)) {
      if (!cmd.includes('rm -rf /var/lib/apt/lists')) problems.push('apt-get install without cleaning /var/lib/apt/lists');
      if (!cmd.includes('--no-install-recommends')) problems.push('apt-get install without --no-install-recommends');
      if (!/apt-get\s+update/.test(cmd)) problems.push('apt-get install without apt-get update in the same RUN');
    }
  }
  return problems;
}

test('Dockerfile lint: multi-stage, pinned FROM, non-root USER, HEALTHCHECK, no ADD URL, apt lists cleaned', () => {
  const text = fs.readFileSync('deploy/docker/Dockerfile', 'utf8');
  assert.deepEqual(lintDockerfile(text), []);
  const df = DockerfileParser.parse(text);
  const hc = df.getInstructions().find((i) => i.getKeyword() === 'HEALTHCHECK');
  assert.match(hc.getArgumentsContent(), /\/health/);
  assert.ok(df.getInstructions().some((i) => i.getKeyword() === 'VOLUME' && i.getArgumentsContent().includes('/models')));
});

test('the Dockerfile build stage copies every source directory of the repository', () => {
  // Top-level directories git tracks, less those the build never reads (docs,
  // deployment files, CI scripts, client examples). A new directory fails here
  // until it is either copied or listed as not needed.
  const dirs = new Set(execFileSync('git', ['ls-files'], { encoding: 'utf8' }).split('\n')
    .filter((f) => f.includes('/')).map((f) => f.split('/')[0]));
  for (const skip of ['docs', 'deploy', '.ci', 'examples']) dirs.delete(skip);
  const copied = DockerfileParser.parse(fs.readFileSync('deploy/docker/Dockerfile', 'utf8')).getInstructions()
    .filter((i) => i.getKeyword() === 'COPY' && !i.getArgumentsContent().startsWith('--from'))
    .map((i) => i.getArguments()[0].getValue().replace(/\/$/, ''));
  for (const d of dirs) assert.ok(copied.includes(d), `deploy/docker/Dockerfile does not COPY ${d}/`);
});

test('Dockerfile lint rules fire on a bad Dockerfile (the rules are live)', () => {
  const bad = [
    'FROM debian',
    'ADD https://example.com/x.tar.gz /x',
    'RUN apt-get update && apt-get install -y curl',
    'CMD ["qvl"]',
  ].join('\n');
  const p = lintDockerfile(bad);
  for (const want of ['not multi-stage', 'FROM debian: pin', 'no USER', 'no HEALTHCHECK', 'ADD of a URL',
    'without cleaning', 'without --no-install-recommends'])
    assert.ok(p.some((x) => x.startsWith(want) || x.includes(want)), `${want} in ${JSON.stringify(p)}`);
  assert.ok(lintDockerfile('FROM a:1 AS b\nFROM a:1\nUSER root\nHEALTHCHECK CMD true\n').some((x) => x.includes('is root')));
});
