// The optional quality gate (GATE_METRIC / GATE_MAX): a run whose metric is above the maximum
// registers its model but does not deploy it (ends NotDeployed, nothing billing).

export interface GateSetting {
  /** A metric key, matched exactly or as the last segment(s) of `<child run>/<metric>`. */
  readonly metric: string;
  readonly max: number;
}

export interface GateOutcome {
  readonly passed: boolean;
  readonly reason: string;
  /** The metric key the gate read, when it found exactly one. */
  readonly key?: string;
  readonly value?: number;
}

export function evaluateGate(metrics: Readonly<Record<string, number>>, gate?: GateSetting): GateOutcome {
  if (gate === undefined) return { passed: true, reason: 'no quality gate configured' };
  const keys =
    gate.metric in metrics
      ? [gate.metric]
      : Object.keys(metrics)
          .filter((k) => k.endsWith(`/${gate.metric}`))
          .sort();
  const [key] = keys;
  if (key === undefined) {
    const known = Object.keys(metrics).sort();
    return {
      passed: false,
      reason: `metric '${gate.metric}' was not reported by the job (reported: ${known.join(', ') || 'none'})`,
    };
  }
  if (keys.length > 1) {
    return {
      passed: false,
      reason: `metric '${gate.metric}' is ambiguous (${keys.join(', ')}); set GATE_METRIC to one of them`,
    };
  }
  const value = metrics[key] ?? NaN;
  if (Number.isNaN(value)) return { passed: false, reason: `${key} is not a number`, key, value };
  return value <= gate.max
    ? { passed: true, reason: `${key} = ${value} <= ${gate.max}`, key, value }
    : { passed: false, reason: `${key} = ${value} is above the maximum ${gate.max}`, key, value };
}
