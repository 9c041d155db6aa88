// Pure logic behind the action forms: the server's input errors (JSON
// pointers with a reason) turned into what @rjsf/core shows on each field
// (extraErrors), and a validator that never compiles the schema. The
// page's Content-Security-Policy forbids eval, which ajv needs, and the
// server validates every input anyway: rjsf only has to pick between
// anyOf/oneOf options, which isValid does structurally.

import type { GraphQLErrorLike } from './errors';

export interface FieldProblem {
  /** JSON pointer of the field ("" is the whole input). */
  field: string;
  /** What is wrong, for people. */
  message: string;
}

/** pointerPath splits a JSON pointer (RFC 6901) into its unescaped segments. */
export function pointerPath(pointer: string): string[] {
  if (pointer === '' || pointer === '/') return [];
  const p = pointer.startsWith('#') ? pointer.slice(1) : pointer;
  return p
    .replace(/^\//, '')
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** toPointer writes path segments as a JSON pointer. */
export function toPointer(path: readonly string[]): string {
  return path.map((s) => '/' + s.replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

function plural(n: string, word: string): string {
  return `${n} ${word}${n === '1' ? '' : 's'}`;
}

const article = (t: string) => (/^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`);

/** humanReason rewords the server's validation reasons ("maximum: got 9, want 5"). */
export function humanReason(reason: string): string {
  const r = reason.trim();
  let m = /^(minLength|maxLength|minimum|maximum|exclusiveMinimum|exclusiveMaximum|minItems|maxItems): got (.+), want (.+)$/.exec(r);
  if (m) {
    const [, kw, got, want] = m as unknown as [string, string, string, string];
    switch (kw) {
      case 'minLength':
        return `Must be at least ${plural(want, 'character')} long.`;
      case 'maxLength':
        return `Must be at most ${plural(want, 'character')} long (it is ${got}).`;
      case 'minimum':
        return `Must be ${want} or more (got ${got}).`;
      case 'maximum':
        return `Must be ${want} or less (got ${got}).`;
      case 'exclusiveMinimum':
        return `Must be more than ${want} (got ${got}).`;
      case 'exclusiveMaximum':
        return `Must be less than ${want} (got ${got}).`;
      case 'minItems':
        return `Needs at least ${plural(want, 'item')}.`;
      case 'maxItems':
        return `Takes at most ${plural(want, 'item')}.`;
    }
  }
  m = /^got (\w+), want (\w+)$/.exec(r);
  if (m) return `Must be ${article(m[2]!)} (got ${article(m[1]!)}).`;
  if (/^missing propert/.test(r)) return 'Required.';
  return r.charAt(0).toUpperCase() + r.slice(1) + (/[.!?]$/.test(r) ? '' : '.');
}

/**
 * inputProblems reads the BAD_USER_INPUT errors of a planAction or
 * runAction answer: every problem with its field, in order. "missing
 * property 'x'" on the whole input becomes a problem of field /x, so the
 * form shows it where the user can fix it.
 */
export function inputProblems(errors: readonly GraphQLErrorLike[]): FieldProblem[] {
  const out: FieldProblem[] = [];
  for (const e of errors) {
    if (e.extensions?.code !== 'BAD_USER_INPUT') continue;
    const fields = e.extensions?.fields;
    const list: { field: string; reason: string }[] = [];
    if (Array.isArray(fields)) {
      for (const f of fields) {
        if (f && typeof f === 'object') {
          const ff = f as { field?: unknown; reason?: unknown; message?: unknown };
          const reason = typeof ff.reason === 'string' ? ff.reason : typeof ff.message === 'string' ? ff.message : e.message;
          list.push({ field: typeof ff.field === 'string' ? ff.field : '', reason });
        }
      }
    } else if (fields && typeof fields === 'object') {
      for (const [k, v] of Object.entries(fields as Record<string, unknown>)) list.push({ field: k, reason: typeof v === 'string' ? v : e.message });
    } else {
      const field = e.extensions?.field;
      list.push({ field: typeof field === 'string' ? field : '', reason: e.message });
    }
    for (const { field, reason } of list) {
      const missing = /^missing propert(?:y|ies) (.+)$/.exec(reason.trim());
      if (missing) {
        const names = [...missing[1]!.matchAll(/'([^']*)'/g)].map((x) => x[1]!);
        if (names.length > 0) {
          for (const n of names) out.push({ field: toPointer([...pointerPath(field), n]), message: 'Required.' });
          continue;
        }
      }
      out.push({ field: field === '/' ? '' : field, message: humanReason(reason) });
    }
  }
  return out;
}

/** An rjsf ErrorSchema: nested like the data, each level with its own __errors. */
export interface ErrorTree {
  __errors?: string[];
  [key: string]: ErrorTree | string[] | undefined;
}

/** errorTree turns problems into rjsf's extraErrors. */
export function errorTree(problems: readonly FieldProblem[]): ErrorTree {
  const root: ErrorTree = {};
  for (const p of problems) {
    let node = root;
    for (const seg of pointerPath(p.field)) {
      const key = seg === '__errors' ? '__errors_' : seg;
      let next = node[key] as ErrorTree | undefined;
      if (!next || Array.isArray(next)) {
        next = {};
        node[key] = next;
      }
      node = next;
    }
    (node.__errors ??= []).push(p.message);
  }
  return root;
}

/** fieldLabel names a field for the error summary: its schema title, else its pointer. */
export function fieldLabel(schema: unknown, pointer: string): string {
  const path = pointerPath(pointer);
  if (path.length === 0) return 'Input';
  let s: unknown = schema;
  for (const seg of path) {
    if (!s || typeof s !== 'object') {
      s = undefined;
      break;
    }
    const o = s as { properties?: Record<string, unknown>; items?: unknown };
    s = o.properties?.[seg] ?? (/^\d+$/.test(seg) ? o.items : undefined);
  }
  const title = s && typeof s === 'object' ? (s as { title?: unknown }).title : undefined;
  return typeof title === 'string' && title ? title : path.join(' › ');
}

/**
 * fieldId is the id rjsf gives a field's input ("root_message" for
 * /message, with idPrefix "root" and separator "_"), so an error summary
 * can link to it.
 */
export function fieldId(pointer: string, prefix = 'root', sep = '_'): string {
  return [prefix, ...pointerPath(pointer)].join(sep);
}

type JSONSchema = Record<string, unknown>;

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function resolveRef(s: JSONSchema, root: JSONSchema): JSONSchema {
  const ref = s.$ref;
  if (typeof ref !== 'string' || !ref.startsWith('#')) return s;
  let cur: unknown = root;
  for (const seg of pointerPath(ref)) cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[seg] : undefined;
  return cur && typeof cur === 'object' ? (cur as JSONSchema) : s;
}

/**
 * matches is a structural check of data against a schema: type, const,
 * enum, required and the properties given, recursively, and allOf, anyOf,
 * oneOf (as "any"), not. No formats, patterns or bounds: enough to pick
 * the option a value belongs to, never a verdict on input (the server's).
 */
export function matches(schema: unknown, data: unknown, root?: unknown, depth = 0): boolean {
  if (schema === true || schema === undefined) return true;
  if (schema === false) return false;
  if (!schema || typeof schema !== 'object' || depth > 32) return true;
  const r = (root && typeof root === 'object' ? root : schema) as JSONSchema;
  const s = resolveRef(schema as JSONSchema, r);
  if ('const' in s && JSON.stringify(s.const) !== JSON.stringify(data)) return false;
  if (Array.isArray(s.enum) && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(data))) return false;
  if (s.type !== undefined && data !== undefined) {
    const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
    const t = typeOf(data);
    if (!types.some((x) => x === t || (x === 'number' && t === 'integer'))) return false;
  }
  if (data && typeof data === 'object' && !Array.isArray(data)) {
    const obj = data as Record<string, unknown>;
    if (Array.isArray(s.required) && !(s.required as string[]).every((k) => k in obj && obj[k] !== undefined)) return false;
    const props = (s.properties ?? {}) as Record<string, unknown>;
    for (const [k, sub] of Object.entries(props)) {
      if (k in obj && !matches(sub, obj[k], r, depth + 1)) return false;
    }
  }
  if (Array.isArray(s.allOf) && !s.allOf.every((x) => matches(x, data, r, depth + 1))) return false;
  if (Array.isArray(s.anyOf) && !s.anyOf.some((x) => matches(x, data, r, depth + 1))) return false;
  if (Array.isArray(s.oneOf) && !s.oneOf.some((x) => matches(x, data, r, depth + 1))) return false;
  if (s.not !== undefined && typeof s.not === 'object' && matches(s.not, data, r, depth + 1)) return false;
  return true;
}

/**
 * serverValidator is the rjsf validator of the action forms: it reports
 * no errors of its own (the server's come back as extraErrors) and
 * compiles nothing, so it runs under a CSP without 'unsafe-eval'.
 */
export const serverValidator = {
  validateFormData() {
    return { errors: [], errorSchema: {} };
  },
  isValid(schema: unknown, formData: unknown, rootSchema: unknown) {
    return matches(schema, formData, rootSchema);
  },
  rawValidation() {
    return { errors: [] };
  },
};

/**
 * fieldOrder is rjsf's ui:order for a schema: required fields first, in
 * the order the schema lists them as required, then the rest (the server
 * sends properties sorted by name).
 */
export function fieldOrder(schema: unknown): string[] {
  const s = schema && typeof schema === 'object' ? (schema as { required?: unknown; properties?: unknown }) : {};
  const props = s.properties && typeof s.properties === 'object' ? Object.keys(s.properties) : [];
  const required = Array.isArray(s.required) ? (s.required as unknown[]).filter((k): k is string => typeof k === 'string' && props.includes(k)) : [];
  return [...new Set(required), '*'];
}
