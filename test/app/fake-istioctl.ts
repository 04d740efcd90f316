/**
 * A stand-in `istioctl` for tests (none can be installed here): a script on PATH that records
 * each call (argv and the files it was given) and answers `analyze --use-kube=false` the way
 * istioctl 1.22–1.30 does for the analyzers stagegate's output meets. Behaviour, from istio/istio
 * 1.30.0 (research notes: README "Pre-flight analysis"):
 * - namespace filter: without `-A`/`--all-namespaces`, only messages on resources in `-n` (default
 *   `default`) are kept (pkg/config/analysis/local/istiod_analyze.go filterMessages);
 * - IST0101 `Referenced host not found: "<host>"` (Error) for a route destination whose host,
 *   completed as `ConvertHostToFQDN` does (only dotless names, domain cluster.local), is no
 *   Service/ServiceEntry in the input (analyzers/virtualservice/destinationhosts.go);
 * - IST0101 `Referenced gateway not found: "<gw>"` for a gateway other than mesh (gateways.go);
 * - IST0174 (Warning) for a DestinationRule host without a Service, else IST0173 (Error) for a
 *   subset whose labels select no Pod in the input (destinationrule/subset.go);
 * - `-S CODE=GLOB` drops messages whose `Kind ns/name` origin matches the glob;
 * - `-o json`: a tab-indented array of {code, documentationUrl, level, message, origin}, exit 0
 *   whatever was found; `-o log`: one line per message, exit 79 when an Error is left.
 * Files `exit-code` / `canned.json` beside the script override the exit code / the messages.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FakeCall {
  readonly args: readonly string[];
  /** Contents of the files named on the command line, by position. */
  readonly files: readonly string[];
}

export interface FakeIstioctl {
  /** The directory to put first on PATH. */
  readonly dir: string;
  calls(): FakeCall[];
  /** Answer every later analyze with these messages (istioctl's JSON shape) instead of analyzing. */
  answer(messages: readonly Record<string, string>[]): void;
  /** Exit with this code (and a usage message) on every later analyze. */
  failWith(code: number): void;
}

const SCRIPT = String.raw`#!/usr/bin/env node
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const YAML = require(__YAML__);
const args = process.argv.slice(2);
const here = __dirname;
const files = args.filter((a, i) => !a.startsWith('-') && !['-S', '--suppress', '-o', '--output', '-n', '--namespace'].includes(args[i - 1]) && a !== 'analyze');
fs.appendFileSync(path.join(here, 'calls.jsonl'), JSON.stringify({ args, files: files.filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f, 'utf8')) }) + '\n');
if (args[0] === 'version') { console.log('client version: 1.30.0'); process.exit(0); }
if (args[0] !== 'analyze') { console.error('unknown command'); process.exit(64); }
if (fs.existsSync(path.join(here, 'exit-code'))) { console.error('Error: unknown flag'); process.exit(Number(fs.readFileSync(path.join(here, 'exit-code'), 'utf8'))); }
let useKube = true, all = false, ns = 'default', output = 'log';
const suppress = [];
for (let i = 1; i < args.length; i++) {
  const a = args[i];
  if (a === '--use-kube=false') useKube = false;
  else if (a === '-A' || a === '--all-namespaces') all = true;
  else if (a === '-n' || a === '--namespace') ns = args[++i];
  else if (a === '-o' || a === '--output') output = args[++i].toLowerCase();
  else if (a === '-S' || a === '--suppress') {
    const parts = args[++i].split('=');
    if (parts.length !== 2) { console.error(args[i] + ' is not a valid suppression value. See istioctl analyze --help'); process.exit(64); }
    suppress.push(parts);
  } else if (a.startsWith('-')) { console.error('Error: unknown flag: ' + a); process.exit(64); }
}
if (useKube) { console.error('Error: no cluster here'); process.exit(1); }
const objects = files.flatMap((f) => YAML.parseAllDocuments(fs.readFileSync(f, 'utf8')).map((d) => d.toJS()).filter(Boolean));
for (const o of objects) { o.metadata = o.metadata || {}; if (!o.metadata.namespace) o.metadata.namespace = ns; }
const fqdn = (host, n) => (host.startsWith('*') || host.includes('.') ? host : host + '.' + n + '.svc.cluster.local');
const hosts = new Set();
const gateways = new Set();
for (const o of objects) {
  if (o.kind === 'Service') hosts.add(o.metadata.name + '.' + o.metadata.namespace + '.svc.cluster.local');
  if (o.kind === 'ServiceEntry') for (const h of (o.spec && o.spec.hosts) || []) hosts.add(fqdn(h, o.metadata.namespace));
  if (o.kind === 'Gateway') gateways.add(o.metadata.namespace + '/' + o.metadata.name);
}
const pods = objects.filter((o) => o.kind === 'Pod');
let messages = [];
const say = (o, code, level, message) => messages.push({ o, code, level, message });
for (const o of objects) {
  const n = o.metadata.namespace;
  const spec = o.spec || {};
  if (o.kind === 'VirtualService') {
    for (const route of spec.http || [])
      for (const d of route.route || [])
        if (!hosts.has(fqdn(d.destination.host, n))) say(o, 'IST0101', 'Error', 'Referenced host not found: ' + JSON.stringify(d.destination.host));
    for (const gw of spec.gateways || []) {
      if (gw === 'mesh') continue;
      if (!gateways.has(gw.includes('/') ? gw : n + '/' + gw)) say(o, 'IST0101', 'Error', 'Referenced gateway not found: ' + JSON.stringify(gw));
    }
  }
  if (o.kind === 'DestinationRule') {
    if (!hosts.has(fqdn(spec.host, n))) say(o, 'IST0174', 'Warning', 'The host ' + spec.host + ' defined in the DestinationRule does not match any services in the mesh.');
    else for (const s of spec.subsets || []) {
      const match = pods.some((p) => Object.entries(s.labels || {}).every(([k, v]) => ((p.metadata && p.metadata.labels) || {})[k] === v));
      if (!match) say(o, 'IST0173', 'Error', 'The Subset ' + s.name + ' defined in the DestinationRule does not select any pods. Which may lead to 503 UH (NoHealthyUpstream).');
    }
  }
}
if (fs.existsSync(path.join(here, 'canned.json'))) messages = JSON.parse(fs.readFileSync(path.join(here, 'canned.json'), 'utf8')).map((m) => ({ ...m, o: null }));
const origin = (m) => (m.o ? m.o.kind + ' ' + m.o.metadata.namespace + '/' + m.o.metadata.name : m.origin);
const glob = (g) => new RegExp('^' + g.split('*').map((s) => s.replace(/[.+?^$()|[\]{}\\]/g, '\\$&')).join('.*') + '$');
messages = messages
  .filter((m) => all || !m.o || m.o.metadata.namespace === ns)
  .filter((m) => !suppress.some(([code, g]) => code === m.code && glob(g).test(origin(m))));
if (output === 'json') {
  const out = messages.map((m) => ({ code: m.code, documentationUrl: 'https://istio.io/v1.30/docs/reference/config/analysis/' + m.code.toLowerCase() + '/?ref=istioctl-analyze', level: m.level, message: m.message, origin: origin(m) }));
  process.stdout.write(JSON.stringify(out, null, '\t') + '\n');
  process.exit(0);
}
for (const m of messages) console.log(m.level + ' [' + m.code + '] (' + origin(m) + ') ' + m.message);
if (messages.some((m) => m.level === 'Error')) { console.error('Error: Analyzers found issues when analyzing namespace: ' + ns + '.'); process.exit(79); }
if (messages.length === 0) console.error('\u2714 No validation issues found when analyzing namespace: ' + ns + '.');
process.exit(0);
`;

export function fakeIstioctl(): FakeIstioctl {
  const dir = mkdtempSync(join(tmpdir(), 'stagegate-fake-istioctl-'));
  const yamlPath = createRequire(import.meta.url).resolve('yaml');
  const file = join(dir, 'istioctl');
  writeFileSync(file, SCRIPT.replace('__YAML__', JSON.stringify(yamlPath)));
  chmodSync(file, 0o755);
  const log = join(dir, 'calls.jsonl');
  return {
    dir,
    calls: () =>
      existsSync(log)
        ? readFileSync(log, 'utf8')
            .trim()
            .split('\n')
            .map((line) => JSON.parse(line) as FakeCall)
        : [],
    answer: (messages) => writeFileSync(join(dir, 'canned.json'), JSON.stringify(messages)),
    failWith: (code) => writeFileSync(join(dir, 'exit-code'), String(code)),
  };
}
