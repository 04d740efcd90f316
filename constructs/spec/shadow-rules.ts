/**
 * Cross-field rules of shadow stages (a stage with `mirror`, istio/shadow.ts): the intent must say
 * the service tolerates duplicated requests, and the stage must leave canary with mirrored
 * requests only, since that is what makes its metrics mean "mirrored requests" (istio/shadow.ts).
 */
type Rec = Record<string, unknown>;
type Add = (path: (string | number)[], message: string) => void;
const isRecord = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);

const WHY_DUPLICATES =
  'a shadow stage sends copies of real requests, writes included, to canary: a POST that charges a card or sends a mail runs on both versions';

export function shadowRules(spec: Rec, add: Add): void {
  const stages = Array.isArray(spec.stages) ? spec.stages : [];
  const shadow = isRecord(spec.shadow) ? spec.shadow : undefined;
  if (shadow?.duplicatesSafe === false)
    add(
      ['shadow', 'duplicatesSafe'],
      `must be true for a shadow stage to compile: ${WHY_DUPLICATES}; set it once the service is safe to receive requests twice (idempotent handlers, or a canary that writes to a sandbox), or remove the shadow stages`,
    );
  const cohortStart = stages.findIndex((s) => isRecord(s) && s.cohort === true);
  const metrics = isRecord(spec.metrics) ? spec.metrics : {};
  let reported = false;
  stages.forEach((raw, i) => {
    if (!isRecord(raw) || typeof raw.mirror !== 'number') return;
    const label = typeof raw.name === 'string' ? JSON.stringify(raw.name) : `spec.stages[${i}]`;
    if (shadow === undefined)
      add(
        ['stages', i, 'mirror'],
        `stage ${label} mirrors requests but spec.shadow is not set: ${WHY_DUPLICATES}; when the service is safe to receive requests twice (idempotent handlers, or a canary that writes to a sandbox), add spec.shadow: { duplicatesSafe: true }`,
      );
    if (typeof raw.weight === 'number' && raw.weight > 0)
      add(
        ['stages', i, 'weight'],
        `must be 0 in a shadow stage (got ${raw.weight}): users get stable's answers, and Istio's metrics carry nothing that tells a mirrored request from a user's on canary, so the stage is judged on mirrored requests only while canary serves no user`,
      );
    if (cohortStart >= 0 && i >= cohortStart)
      add(
        ['stages', i, 'mirror'],
        `stage ${label} mirrors requests but comes at or after the cohort stage: the cohort's own requests would mix with the mirrored ones on canary; put shadow stages before the cohort stage`,
      );
    const reporter = metrics.reporter;
    if ((reporter === 'source' || reporter === 'waypoint') && !reported) {
      reported = true;
      add(
        ['metrics', 'reporter'],
        `must be destination with a shadow stage (got ${JSON.stringify(reporter)}): Envoy sends mirrored requests through its async HTTP client, outside the filter chain where Istio's stats filter runs (envoy source/common/router/shadow_writer_impl.cc), so only canary's own sidecar reports them`,
      );
    }
  });
}
