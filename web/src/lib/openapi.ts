// A readable model of an OpenAPI (3.x) or Swagger (2.0) definition: the
// operations by path with their parameters, request and responses, and
// the named schemas. The API page renders it (ApiDefinition.tsx, a lazy
// chunk with the YAML parser); anything else is shown as text.

import { parse } from 'yaml';

export interface SchemaField {
  name: string;
  type: string;
  /** Name of the schema a $ref points at, to link to it. */
  ref?: string;
  required: boolean;
  description?: string;
}

export interface SchemaView {
  type: string;
  ref?: string;
  description?: string;
  fields: SchemaField[];
}

export interface Param {
  name: string;
  in: string;
  required: boolean;
  description?: string;
  type: string;
  ref?: string;
}

export interface Body {
  mediaType: string;
  schema?: SchemaView;
}

export interface Response {
  status: string;
  description: string;
  bodies: Body[];
}

export interface Operation {
  method: string;
  path: string;
  id: string;
  summary?: string;
  description?: string;
  deprecated: boolean;
  tags: string[];
  parameters: Param[];
  requestRequired: boolean;
  requestBodies: Body[];
  responses: Response[];
}

export interface ApiDoc {
  format: string;
  title: string;
  version: string;
  description?: string;
  servers: string[];
  paths: { path: string; operations: Operation[] }[];
  schemas: { name: string; schema: SchemaView }[];
}

export type Definition = { kind: 'openapi'; doc: ApiDoc } | { kind: 'text'; reason: string };

type Obj = Record<string, unknown>;
const methods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

function obj(v: unknown): Obj | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined;
}
function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() ? v : undefined;
}

/** refName is the last segment of a local $ref: "#/components/schemas/Order" is Order. */
export function refName(ref: string): string {
  return decodeURIComponent(ref.split('/').pop() ?? ref).replace(/~1/g, '/').replace(/~0/g, '~');
}

function resolve(root: Obj, v: unknown, depth = 0): Obj | undefined {
  const o = obj(v);
  if (!o) return undefined;
  const ref = str(o.$ref);
  if (!ref || depth > 10) return o;
  if (!ref.startsWith('#/')) return o;
  let cur: unknown = root;
  for (const seg of ref.slice(2).split('/')) cur = obj(cur)?.[seg.replace(/~1/g, '/').replace(/~0/g, '~')];
  return resolve(root, cur, depth + 1) ?? o;
}

/** typeOf writes a schema's type for people: "string (date-time)", "array of Order", "one of: a, b". */
export function typeOf(schema: unknown, depth = 0): { type: string; ref?: string } {
  const s = obj(schema);
  if (!s) return { type: 'any' };
  const ref = str(s.$ref);
  if (ref) return { type: refName(ref), ref: refName(ref) };
  if (depth > 5) return { type: 'object' };
  if (Array.isArray(s.enum) && s.enum.length > 0) return { type: `one of: ${s.enum.map((e) => JSON.stringify(e)).join(', ')}` };
  for (const k of ['oneOf', 'anyOf', 'allOf'] as const) {
    const list = s[k];
    if (Array.isArray(list) && list.length > 0) {
      const parts = list.map((x) => typeOf(x, depth + 1).type);
      return { type: k === 'allOf' ? parts.join(' and ') : parts.join(' or ') };
    }
  }
  let t = Array.isArray(s.type) ? (s.type as unknown[]).join(' or ') : str(s.type);
  if (t === 'array') {
    const inner = typeOf(s.items, depth + 1);
    return { type: `array of ${inner.type}`, ...(inner.ref ? { ref: inner.ref } : {}) };
  }
  if (!t) t = obj(s.properties) ? 'object' : 'any';
  const fmt = str(s.format);
  const nullable = s.nullable === true ? ', nullable' : '';
  return { type: `${t}${fmt ? ` (${fmt})` : ''}${nullable}` };
}

/** schemaView is a schema as a type and, for objects, one row per property (allOf merged). */
export function schemaView(root: Obj, schema: unknown): SchemaView {
  const s = obj(schema);
  const t = typeOf(schema);
  const view: SchemaView = { type: t.type, fields: [] };
  if (t.ref) view.ref = t.ref;
  if (!s) return view;
  const desc = str(s.description);
  if (desc) view.description = desc;
  if (s.$ref) return view;
  const parts = Array.isArray(s.allOf) ? [s, ...s.allOf.map((x) => resolve(root, x) ?? {})] : [s];
  for (const part of parts) {
    const props = obj(part.properties);
    if (!props) continue;
    const required = new Set(Array.isArray(part.required) ? (part.required as string[]) : []);
    for (const [name, p] of Object.entries(props)) {
      const pt = typeOf(p);
      const pd = str(obj(p)?.description);
      view.fields.push({ name, type: pt.type, ...(pt.ref ? { ref: pt.ref } : {}), required: required.has(name), ...(pd ? { description: pd } : {}) });
    }
  }
  if (view.fields.length > 0 && view.type.startsWith('any')) view.type = 'object';
  return view;
}

function bodies(root: Obj, content: unknown): Body[] {
  const c = obj(content);
  if (!c) return [];
  return Object.entries(c).map(([mediaType, m]) => {
    const schema = obj(m)?.schema;
    return schema === undefined ? { mediaType } : { mediaType, schema: schemaView(root, schema) };
  });
}

function params(root: Obj, list: unknown, swagger: boolean): Param[] {
  if (!Array.isArray(list)) return [];
  const out: Param[] = [];
  for (const raw of list) {
    const p = resolve(root, raw);
    if (!p || !str(p.name)) continue;
    if (swagger && p.in === 'body') continue;
    const t = typeOf(p.schema ?? (swagger ? p : undefined));
    const d = str(p.description);
    out.push({ name: String(p.name), in: str(p.in) ?? 'query', required: p.required === true || p.in === 'path', ...(d ? { description: d } : {}), type: t.type, ...(t.ref ? { ref: t.ref } : {}) });
  }
  return out;
}

/** openAPIDoc reads a parsed definition; null when it is not OpenAPI or Swagger. */
export function openAPIDoc(root: unknown): ApiDoc | null {
  const r = obj(root);
  if (!r) return null;
  const oas = str(r.openapi);
  const swagger = str(r.swagger);
  if (!oas && !swagger) return null;
  const info = obj(r.info) ?? {};
  const servers: string[] = [];
  if (Array.isArray(r.servers)) for (const s of r.servers) if (str(obj(s)?.url)) servers.push(String(obj(s)?.url));
  if (swagger && str(r.host)) {
    const schemes = Array.isArray(r.schemes) && r.schemes.length ? (r.schemes as string[]) : ['https'];
    for (const sc of schemes) servers.push(`${sc}://${r.host as string}${str(r.basePath) ?? ''}`);
  }
  const paths: ApiDoc['paths'] = [];
  for (const [path, rawItem] of Object.entries(obj(r.paths) ?? {})) {
    const item = resolve(r, rawItem);
    if (!item) continue;
    const ops: Operation[] = [];
    for (const m of methods) {
      const op = obj(item[m]);
      if (!op) continue;
      const shared = params(r, item.parameters, !!swagger);
      const own = params(r, op.parameters, !!swagger);
      const merged = [...shared.filter((p) => !own.some((o) => o.name === p.name && o.in === p.in)), ...own];
      let requestBodies: Body[] = [];
      let requestRequired = false;
      if (swagger) {
        const bodyParam = (Array.isArray(op.parameters) ? op.parameters : []).map((p) => resolve(r, p)).find((p) => p?.in === 'body');
        if (bodyParam) {
          const consumes = (Array.isArray(op.consumes) ? op.consumes : Array.isArray(r.consumes) ? r.consumes : ['application/json']) as string[];
          requestBodies = consumes.map((mediaType) => ({ mediaType, schema: schemaView(r, bodyParam.schema) }));
          requestRequired = bodyParam.required === true;
        }
      } else {
        const rb = resolve(r, op.requestBody);
        if (rb) {
          requestBodies = bodies(r, rb.content);
          requestRequired = rb.required === true;
        }
      }
      const responses: Response[] = Object.entries(obj(op.responses) ?? {}).map(([status, raw]) => {
        const resp = resolve(r, raw) ?? {};
        const b = swagger ? (resp.schema ? [{ mediaType: 'application/json', schema: schemaView(r, resp.schema) }] : []) : bodies(r, resp.content);
        return { status, description: str(resp.description) ?? '', bodies: b };
      });
      const summary = str(op.summary);
      const description = str(op.description);
      ops.push({
        method: m.toUpperCase(),
        path,
        id: str(op.operationId) ?? `${m}-${path}`,
        ...(summary ? { summary } : {}),
        ...(description ? { description } : {}),
        deprecated: op.deprecated === true,
        tags: Array.isArray(op.tags) ? op.tags.filter((t): t is string => typeof t === 'string') : [],
        parameters: merged,
        requestRequired,
        requestBodies,
        responses,
      });
    }
    if (ops.length) paths.push({ path, operations: ops });
  }
  const named = obj(obj(r.components)?.schemas) ?? obj(r.definitions) ?? {};
  const schemas = Object.entries(named).map(([name, s]) => ({ name, schema: schemaView(r, s) }));
  const description = str(info.description);
  return {
    format: oas ? `OpenAPI ${oas}` : `Swagger ${swagger}`,
    title: str(info.title) ?? 'Untitled API',
    version: str(info.version) ?? '',
    ...(description ? { description } : {}),
    servers,
    paths,
    schemas,
  };
}

/** readDefinition parses an API's definition: OpenAPI as a model, anything else as text. */
export function readDefinition(text: string, type?: string | null): Definition {
  const t = (type ?? '').toLowerCase();
  if (t && t !== 'openapi' && t !== 'swagger') return { kind: 'text', reason: `Pont renders OpenAPI definitions, and this one is ${type}` };
  let root: unknown;
  try {
    root = parse(text, { maxAliasCount: 100 });
  } catch (e) {
    return { kind: 'text', reason: `it does not parse as YAML or JSON (${e instanceof Error ? e.message.split('\n')[0] : 'unknown error'}); fix the definition in the API's descriptor` };
  }
  const doc = openAPIDoc(root);
  return doc ? { kind: 'openapi', doc } : { kind: 'text', reason: 'it has no openapi or swagger field, so it is not an OpenAPI document' };
}

/** anchorId is a safe element id for a schema or an operation. */
export function anchorId(prefix: string, name: string): string {
  return `${prefix}-${name.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '')}`;
}
