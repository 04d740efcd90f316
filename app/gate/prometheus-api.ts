/**
 * The few calls of Prometheus's HTTP API the gate needs. Every failure — connection refused,
 * timeout, HTTP error, `status: "error"` — is a {@link PrometheusUnavailable}, which the gate
 * turns into *hold*, never *pass*.
 */

export class PrometheusUnavailable extends Error {}

export interface Sample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface RangeSeries {
  readonly labels: Readonly<Record<string, string>>;
  /** [unix seconds, value] */
  readonly points: ReadonlyArray<readonly [number, number]>;
}

/**
 * One active instance of an alerting rule, as `/api/v1/rules` lists it under the rule's
 * `alerts` (prometheus/prometheus web/api/v1/api.go: `Alert{Labels, Annotations, State,
 * ActiveAt, Value}`, filled from `AlertingRule.ActiveAlerts()`, which leaves out resolved
 * instances; docs: prometheus.io/docs/prometheus/latest/querying/api/#rules). One rule has one
 * instance per series its expression returns, so a rule that serves many rollouts (the fleet
 * alerts, constructs/fleet-alerts.ts) has one per rollout, told apart by their labels.
 */
export interface AlertInstance {
  /** The series' labels with the rule's labels and `alertname`. */
  readonly labels: Readonly<Record<string, string>>;
  readonly state: 'firing' | 'pending';
  /** When the instance became pending (RFC 3339); absent when Prometheus leaves it out (`omitempty`). */
  readonly activeAt?: string;
  /** The expression's value for this instance (Prometheus sends it as a string, e.g. "1e+00"). */
  readonly value?: number;
}

export interface RuleState {
  readonly group: string;
  readonly name: string;
  readonly query: string;
  /**
   * The rule's state: the strongest of its instances (prometheus/prometheus rules/alerting.go
   * `AlertingRule.State`, firing > pending > inactive), whichever series they are for.
   */
  readonly state: 'firing' | 'pending' | 'inactive';
  /** Its active instances, each with its own labels and state. */
  readonly alerts: readonly AlertInstance[];
}

export class PrometheusApi {
  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs = 10_000,
  ) {}

  private async get(path: string, params: Record<string, string>): Promise<unknown> {
    const url = `${this.baseUrl.replace(/\/$/, '')}${path}?${new URLSearchParams(params)}`;
    let res: Response;
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      throw new PrometheusUnavailable(`Prometheus at ${this.baseUrl} is unreachable`, { cause: err });
    }
    const body = (await res.json().catch(() => undefined)) as
      | { status?: string; data?: unknown; error?: string }
      | undefined;
    if (!res.ok || body?.status !== 'success') {
      throw new PrometheusUnavailable(
        `Prometheus answered HTTP ${res.status}${body?.error ? `: ${body.error}` : ''} for ${path}`,
      );
    }
    return body.data;
  }

  /** Instant query at `time`; a scalar result becomes one sample without labels. */
  async query(expr: string, time: Date): Promise<Sample[]> {
    const data = (await this.get('/api/v1/query', { query: expr, time: seconds(time) })) as {
      resultType: string;
      result: unknown;
    };
    if (data.resultType === 'scalar') return [{ labels: {}, value: Number((data.result as [number, string])[1]) }];
    return (data.result as Array<{ metric: Record<string, string>; value: [number, string] }>).map((r) => ({
      labels: r.metric,
      value: Number(r.value[1]),
    }));
  }

  async queryRange(expr: string, start: Date, end: Date, stepSeconds: number): Promise<RangeSeries[]> {
    const data = (await this.get('/api/v1/query_range', {
      query: expr,
      start: seconds(start),
      end: seconds(end),
      step: String(stepSeconds),
    })) as { result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }> };
    return data.result.map((r) => ({ labels: r.metric, points: r.values.map(([t, v]) => [t, Number(v)] as const) }));
  }

  /** Alerting rules Prometheus has loaded, with their current state. */
  async alertRules(): Promise<RuleState[]> {
    const data = (await this.get('/api/v1/rules', { type: 'alert' })) as {
      groups: Array<{
        name: string;
        rules: Array<{
          name: string;
          query: string;
          state: RuleState['state'];
          alerts?: Array<{
            labels: Record<string, string>;
            state: AlertInstance['state'];
            activeAt?: string;
            value?: string;
          }>;
        }>;
      }>;
    };
    return data.groups.flatMap((g) =>
      g.rules.map((r) => ({
        group: g.name,
        name: r.name,
        query: r.query,
        state: r.state,
        alerts: (r.alerts ?? []).map((a) => ({
          labels: a.labels,
          state: a.state,
          ...(a.activeAt !== undefined ? { activeAt: a.activeAt } : {}),
          ...(a.value !== undefined ? { value: Number(a.value) } : {}),
        })),
      })),
    );
  }
}

const seconds = (d: Date) => (d.getTime() / 1000).toFixed(3);
