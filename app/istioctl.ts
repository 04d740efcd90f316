/**
 * `istioctl analyze` on generated objects, when istioctl is on PATH. It cannot be installed on
 * every machine (no npm or Debian package), so its absence is reported, not failed.
 *
 * Offline, the analyzers see only the files they are given, so stagegate gives them what a
 * cluster would have and says what it cannot know (istio/istio 1.22–1.30, istioctl/pkg/analyze
 * and pkg/config/analysis; research notes in the README "Pre-flight analysis"):
 * - `-A`: without it, `--use-kube=false` keeps only messages about namespace `default`
 *   (`filterMessages` in local/istiod_analyze.go), so every other rollout passed unseen.
 * - A Service stub per rollout (its host, namespace and port, named for the protocol): host
 *   lookups use only Services and ServiceEntries in the input (`util.InitServiceEntryHostMap`), so
 *   without them every destination is IST0101 "Referenced host not found".
 * - `-S "IST0173=DestinationRule <ns>/<name>"`: whether a subset selects pods is only known in a
 *   cluster (offline, with no Pods, every subset is IST0173); the suppression value matches the
 *   message's FriendlyName `<Kind> <namespace>/<name>` (legacy/source/kube/origin.go).
 * - Gateways other than `mesh` live outside the repository: "Referenced gateway not found" is
 *   left out and named in the notes.
 * - `-o json`, parsed: with json output istioctl exits 0 whatever it found (the exit-code check
 *   in analyze.go is inside `if msgOutputFormat == LogFormat`), so levels decide, not the exit code.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { Yaml } from 'cdk8s';
import type { KubeObject } from '../constructs/crd-schemas.js';
import { hostForm } from '../constructs/istio/hosts.js';
import type { RolloutModel } from '../constructs/model.js';

/** One message of `istioctl analyze -o json` (diag.Message.Unstructured). */
export interface AnalyzerMessage {
  readonly code: string;
  readonly level: 'Error' | 'Warning' | 'Info';
  readonly message: string;
  /** `VirtualService shop/checkout` */
  readonly origin?: string;
  /** `file.yaml:12` */
  readonly reference?: string;
  readonly documentationUrl?: string;
}

export type IstioctlResult =
  | { readonly ran: false; readonly reason: string }
  | {
      readonly ran: true;
      /** No Error-level message (after what cannot be known offline is left out), and istioctl ran cleanly. */
      readonly ok: boolean;
      readonly messages: readonly AnalyzerMessage[];
      /** What offline analysis cannot know and was left out, in words. */
      readonly notes: readonly string[];
      /** The messages as lines (`Error [IST0101] (VirtualService shop/x) …`), or istioctl's own output when it failed. */
      readonly output: string;
    };

/** What analyze is given about one rollout: its generated manifests and its model. */
export interface AnalyzeInput {
  readonly content: string;
  readonly model: RolloutModel;
}

export function findOnPath(command: string, pathEnv: string | undefined): string | undefined {
  for (const dir of (pathEnv ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, command);
    const probe = spawnSync(candidate, ['version', '--remote=false'], { stdio: 'ignore', timeout: 10_000 });
    if (!probe.error) return candidate;
  }
  return undefined;
}

/** A stand-in for an object that lives in the cluster, not in the repository. */
export interface StubObject extends KubeObject {
  readonly metadata: {
    readonly name: string;
    readonly namespace: string;
    readonly annotations: Record<string, string>;
  };
  readonly spec: Record<string, unknown>;
}

/**
 * The Service (or, for `serviceEntry: true`, ServiceEntry) each rollout routes to, as a stub:
 * host, namespace and port only. Port names follow Istio's protocol selection (`http`/`grpc`).
 */
export function serviceStubs(models: readonly RolloutModel[]): StubObject[] {
  const out = new Map<string, StubObject>();
  const servicePorts = new Map<string, { name: string; port: number }[]>();
  for (const model of models) {
    const { host, port } = model.service;
    const portName = model.metrics.protocol === 'grpc' ? 'grpc' : 'http';
    const form = hostForm(host, model.service.serviceEntry === true);
    const annotations = { 'stagegate.dev/stub': 'for istioctl analyze --use-kube=false' };
    if (form.kind === 'service-entry') {
      out.set(`se|${model.namespace}|${host}`, {
        apiVersion: 'networking.istio.io/v1',
        kind: 'ServiceEntry',
        metadata: { name: `${model.name}-stub`, namespace: model.namespace, annotations },
        spec: {
          hosts: [host],
          ports: [{ number: port, name: portName, protocol: portName.toUpperCase() }],
          resolution: 'DNS',
        },
      });
      continue;
    }
    // A dotted host that is not a Kubernetes FQDN matches no Service: IST0101 is the truth then.
    if (form.kind === 'partial') continue;
    const namespace = form.kind === 'fqdn' ? form.namespace : model.namespace;
    const key = `svc|${namespace}|${form.name}`;
    const ports = servicePorts.get(key) ?? [];
    if (!ports.some((p) => p.port === port)) ports.push({ name: `${portName}-${port}`, port });
    servicePorts.set(key, ports);
    out.set(key, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: form.name, namespace, annotations },
      spec: { ports },
    });
  }
  return [...out.values()];
}

/** `-S` values for what only a cluster knows: whether each rollout's subsets select pods. */
export function offlineSuppressions(models: readonly RolloutModel[]): string[] {
  return models.map((m) => `IST0173=DestinationRule ${m.namespace}/${m.name}`);
}

/** The arguments of one offline run over `files`. */
export function analyzeArgs(files: readonly string[], suppress: readonly string[]): string[] {
  return [
    'analyze',
    '--use-kube=false',
    '--all-namespaces',
    '--output',
    'json',
    ...suppress.flatMap((s) => ['--suppress', s]),
    ...files,
  ];
}

/** `istioctl analyze -o json` stdout → messages; undefined when it is not that shape. */
export function parseAnalyzeJson(stdout: string): AnalyzerMessage[] | undefined {
  let value: unknown;
  try {
    value = JSON.parse(stdout);
  } catch {
    return undefined;
  }
  if (!Array.isArray(value)) return undefined;
  const out: AnalyzerMessage[] = [];
  for (const item of value) {
    const m = item as Record<string, unknown>;
    if (typeof m.code !== 'string' || typeof m.message !== 'string') return undefined;
    if (m.level !== 'Error' && m.level !== 'Warning' && m.level !== 'Info') return undefined;
    out.push({
      code: m.code,
      level: m.level,
      message: m.message,
      ...(typeof m.origin === 'string' ? { origin: m.origin } : {}),
      ...(typeof m.reference === 'string' ? { reference: m.reference } : {}),
      ...(typeof m.documentationUrl === 'string' ? { documentationUrl: m.documentationUrl } : {}),
    });
  }
  return out;
}

/** istioctl's own log line (diag/message.go `String`). */
export function formatAnalyzerMessage(m: AnalyzerMessage): string {
  const where = [m.origin, m.reference].filter(Boolean).join(' ');
  return `${m.level} [${m.code}]${where ? ` (${where})` : ''} ${m.message}`;
}

const GATEWAY_NOT_FOUND = /^Referenced gateway not found: /;

/** Runs `istioctl analyze` offline on the rollouts' manifests plus the stubs they need. */
export function istioctlAnalyze(inputs: readonly AnalyzeInput[], pathEnv: string | undefined): IstioctlResult {
  const istioctl = findOnPath('istioctl', pathEnv);
  if (!istioctl) return { ran: false, reason: 'istioctl is not on PATH; built-in analysis only' };
  const models = inputs.map((i) => i.model);
  const dir = mkdtempSync(join(tmpdir(), 'stagegate-analyze-'));
  try {
    const files = inputs.map((input, i) => {
      const file = join(dir, `${String(i).padStart(4, '0')}-${input.model.name}.k8s.yaml`);
      writeFileSync(file, input.content);
      return file;
    });
    const stubs = serviceStubs(models);
    if (stubs.length > 0) {
      const file = join(dir, 'stagegate-service-stubs.yaml');
      writeFileSync(file, stubs.map((s) => Yaml.stringify(s)).join('---\n'));
      files.push(file);
    }
    const run = spawnSync(istioctl, analyzeArgs(files, offlineSuppressions(models)), {
      encoding: 'utf8',
      timeout: 120_000,
    });
    const raw = `${run.stdout ?? ''}${run.stderr ?? ''}`.trim();
    const parsed = run.status === 0 ? parseAnalyzeJson(run.stdout ?? '') : undefined;
    if (!parsed) {
      const why = run.error ? run.error.message : `exit ${run.status}`;
      return { ran: true, ok: false, messages: [], notes: [], output: `istioctl analyze failed (${why}): ${raw}` };
    }
    const notes = ['IST0173 (subset selects no pods) is only known in a cluster; suppressed'];
    const gateways = parsed.filter((m) => m.code === 'IST0101' && GATEWAY_NOT_FOUND.test(m.message));
    if (gateways.length > 0) {
      notes.push(
        `Gateways live outside the repository, not checked offline: ${[...new Set(gateways.map((m) => m.message.replace(GATEWAY_NOT_FOUND, '')))].join(', ')}`,
      );
    }
    const messages = parsed.filter((m) => !gateways.includes(m));
    return {
      ran: true,
      ok: !messages.some((m) => m.level === 'Error'),
      messages,
      notes,
      output: messages.map(formatAnalyzerMessage).join('\n'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
