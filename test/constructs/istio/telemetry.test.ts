import { describe, expect, it } from 'vitest';
import {
  attribution,
  chooseVersionLabel,
  describeAttribution,
  podLabelsFilling,
  responseFlagRegex,
  versionLabelMismatch,
} from '../../../constructs/istio/telemetry.js';

const ALL = { min: 22 };
const OLD = { min: 22, max: 28 };
const NEW = { min: 29 };

describe('which pod label fills which metric label (istio/proxy istio_stats.cc, metadata_object.cc)', () => {
  it('reads destination_version from the pod label version only on reporter destination, on every release', () => {
    expect(podLabelsFilling('destination_version', 'destination', 22)).toEqual(['version']);
    expect(podLabelsFilling('destination_version', 'destination', 30)).toEqual(['version']);
  });

  it('prefers app.kubernetes.io/version on reporter source from 1.29 only', () => {
    expect(podLabelsFilling('destination_version', 'source', 28)).toEqual(['version']);
    expect(podLabelsFilling('destination_version', 'source', 29)).toEqual(['app.kubernetes.io/version', 'version']);
  });

  it('fills the canonical revision from the canonical-revision label, else app.kubernetes.io/version, else version (injector)', () => {
    for (const reporter of ['destination', 'source', 'waypoint'] as const)
      expect(podLabelsFilling('destination_canonical_revision', reporter, 25)).toEqual([
        'service.istio.io/canonical-revision',
        'app.kubernetes.io/version',
        'version',
      ]);
  });

  it('relies on no pod label for destination_version on the waypoint (no app version in the endpoint encoding)', () => {
    expect(podLabelsFilling('destination_version', 'waypoint', 30)).toEqual([]);
  });
});

describe('chooseVersionLabel', () => {
  it('keeps destination_version for versionLabel version on reporter destination', () => {
    expect(chooseVersionLabel('version', 'destination', ALL)).toEqual({
      metric: 'destination_version',
      verdict: 'exact',
      overriddenBy: [],
    });
  });

  it('picks the canonical revision for app.kubernetes.io/version on reporter destination or source before 1.29', () => {
    expect(chooseVersionLabel('app.kubernetes.io/version', 'destination', ALL)?.metric).toBe(
      'destination_canonical_revision',
    );
    expect(chooseVersionLabel('app.kubernetes.io/version', 'source', OLD)?.metric).toBe(
      'destination_canonical_revision',
    );
  });

  it('picks destination_version for app.kubernetes.io/version on reporter source when only 1.29+ is targeted', () => {
    expect(chooseVersionLabel('app.kubernetes.io/version', 'source', NEW)?.metric).toBe('destination_version');
  });

  it('finds nothing for a label no Istio metric follows', () => {
    expect(chooseVersionLabel('track', 'destination', ALL)).toBeUndefined();
  });

  it('says when another label can override the one chosen', () => {
    expect(attribution('version', 'destination_version', 'source', ALL)).toEqual({
      metric: 'destination_version',
      verdict: 'unless',
      overriddenBy: ['app.kubernetes.io/version'],
    });
  });
});

describe('versionLabelMismatch', () => {
  it('refuses destination_version with app.kubernetes.io/version on reporter destination, naming the fix', () => {
    expect(versionLabelMismatch('app.kubernetes.io/version', 'destination_version', 'destination', ALL)).toBe(
      'on Istio 1.22+ the destination reporter fills destination_version from "version", never from the pod label "app.kubernetes.io/version" (spec.versionLabel), so no series would ever match the canary; use metrics.versionLabel: destination_canonical_revision (or leave it out: it is then chosen for you)',
    );
  });

  it('refuses it on reporter source only for the releases before 1.29', () => {
    expect(versionLabelMismatch('app.kubernetes.io/version', 'destination_version', 'source', ALL)).toContain(
      'on Istio 1.22–1.28 the source reporter',
    );
    expect(versionLabelMismatch('app.kubernetes.io/version', 'destination_version', 'source', NEW)).toBeUndefined();
  });

  it('accepts the canonical revision with versionLabel version (a precedence risk, said by plan)', () => {
    expect(versionLabelMismatch('version', 'destination_canonical_revision', 'destination', ALL)).toBeUndefined();
    expect(describeAttribution('version', 'destination_canonical_revision', 'destination', ALL)).toEqual([
      'versions by destination_canonical_revision (reporter destination, Istio 1.22+): follows pod label "version"',
      '  unless the pods also carry "service.istio.io/canonical-revision" or "app.kubernetes.io/version" with another value, which Istio prefers',
    ]);
  });
});

describe('responseFlagRegex', () => {
  it('matches a flag alone or comma-joined (Envoy ResponseFlagUtils::toShortString), and nothing else', () => {
    const re = new RegExp(`^(?:${responseFlagRegex('UO')})$`);
    expect(['UO', 'UO,URX', 'UF,UO', 'DC,UO,URX'].map((v) => re.test(v))).toEqual([true, true, true, true]);
    expect(['-', 'UH', 'UOX', 'XUO', 'URX'].map((v) => re.test(v))).toEqual([false, false, false, false, false]);
  });
});
