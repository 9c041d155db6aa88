// Entity references as Pont and Backstage write them:
// [kind:][namespace/]name, with kind and namespace defaulting.

export interface EntityName {
  kind: string;
  namespace: string;
  name: string;
}

/** parseRef reads a ref; kind and namespace default as the API's do. */
export function parseRef(ref: string, defaultKind = 'component'): EntityName {
  let rest = ref.trim();
  let kind = defaultKind;
  const colon = rest.indexOf(':');
  const slash = rest.indexOf('/');
  if (colon > 0 && (slash < 0 || colon < slash)) {
    kind = rest.slice(0, colon);
    rest = rest.slice(colon + 1);
  }
  let namespace = 'default';
  const s = rest.indexOf('/');
  if (s >= 0) {
    namespace = rest.slice(0, s) || 'default';
    rest = rest.slice(s + 1);
  }
  return { kind: kind.toLowerCase(), namespace, name: rest };
}

/** formatRef writes kind:namespace/name in lower-case kind. */
export function formatRef(e: EntityName): string {
  return `${e.kind.toLowerCase()}:${e.namespace}/${e.name}`;
}

/** shortRef leaves out what is implied: the default namespace, and the kind when it is the expected one. */
export function shortRef(ref: string, contextKind?: string): string {
  const e = parseRef(ref, contextKind?.toLowerCase());
  const ns = e.namespace === 'default' ? '' : `${e.namespace}/`;
  const kind = contextKind && contextKind.toLowerCase() === e.kind ? '' : `${e.kind}:`;
  return `${kind}${ns}${e.name}`;
}

/**
 * entityPath is the UI's address of an entity: /catalog/<namespace>/<kind>/<name>, as in Backstage.
 * defaultKind is the kind of a ref written without one (an owner is a group).
 */
export function entityPath(ref: string | EntityName, defaultKind?: string): string {
  const e = typeof ref === 'string' ? parseRef(ref, defaultKind?.toLowerCase()) : ref;
  return `/catalog/${encodeURIComponent(e.namespace)}/${encodeURIComponent(e.kind.toLowerCase())}/${encodeURIComponent(e.name)}`;
}
