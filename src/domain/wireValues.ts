// Reading a JSON value as a number the way the component's inputs take one: a JSON number, or a
// string of decimal text (`"5e-6"`, `" 3 "`). Shared by the request-time override rules
// (fineTuneParameters.ts) and the check against a component's declaration (componentSpec.ts).

const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** The number `value` stands for, or NaN when it is neither a number nor decimal text. */
export function numberFrom(value: unknown): number {
  if (typeof value === 'number') return value;
  return typeof value === 'string' && DECIMAL.test(value.trim()) ? Number(value) : NaN;
}
