// HTTP trigger route templates as the Functions host reads them: literal segments, `{name}`,
// optional `{name?}`, constrained `{name:int}` / `{name:alpha}` / `{name:guid}`, catch-all `{*rest}`.

export interface RouteTemplate {
  readonly template: string;
  match(pathSegments: readonly string[]): Record<string, string> | undefined;
}

type Segment =
  | { kind: 'literal'; value: string }
  | { kind: 'param'; name: string; optional: boolean; constraint: string | undefined }
  | { kind: 'catchAll'; name: string };

const CONSTRAINTS: Record<string, RegExp> = {
  int: /^-?\d+$/,
  long: /^-?\d+$/,
  alpha: /^[a-z]+$/i,
  bool: /^(true|false)$/i,
  guid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
};

export class RouteTemplateError extends Error {
  constructor(template: string, detail: string) {
    super(`HOST.ROUTE_INVALID: route "${template}": ${detail}`);
  }
}

export function parseRoute(template: string): RouteTemplate {
  const segments: Segment[] = template
    .replace(/^\/+|\/+$/g, '')
    .split('/')
    .filter((s) => s !== '')
    .map((raw) => {
      const m = /^\{(\*?)([A-Za-z_][\w]*)(?::([a-z]+))?(\?)?\}$/.exec(raw);
      if (!m) {
        if (raw.includes('{') || raw.includes('}'))
          throw new RouteTemplateError(template, `segment "${raw}" is not supported`);
        return { kind: 'literal', value: raw.toLowerCase() };
      }
      const [, star, name = '', constraint, optional] = m;
      if (star) return { kind: 'catchAll', name };
      if (constraint !== undefined && !(constraint in CONSTRAINTS)) {
        throw new RouteTemplateError(template, `constraint "${constraint}" is not supported`);
      }
      return { kind: 'param', name, optional: optional === '?', constraint };
    });
  return {
    template,
    match(path) {
      const params: Record<string, string> = {};
      let i = 0;
      for (const seg of segments) {
        if (seg.kind === 'catchAll') {
          params[seg.name] = path.slice(i).join('/');
          return params;
        }
        const value = path[i];
        if (value === undefined) {
          if (seg.kind === 'param' && seg.optional) continue;
          return undefined;
        }
        if (seg.kind === 'literal') {
          if (value.toLowerCase() !== seg.value) return undefined;
        } else {
          const decoded = decodeURIComponent(value);
          const re = seg.constraint ? CONSTRAINTS[seg.constraint] : undefined;
          if (re && !re.test(decoded)) return undefined;
          params[seg.name] = decoded;
        }
        i++;
      }
      return i === path.length ? params : undefined;
    },
  };
}
