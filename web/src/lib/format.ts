// Small display helpers.

const units: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
  ['second', 1],
];

/** ago says how long before now a time was: "3 hours ago". */
export function ago(iso: string, now: Date = new Date()): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const secs = Math.round((t - now.getTime()) / 1000);
  const rtf = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
  for (const [unit, size] of units) {
    if (Math.abs(secs) >= size || unit === 'second') return rtf.format(Math.round(secs / size), unit);
  }
  return iso;
}

/** kindLabel is a kind as a heading: "API", "Component". */
export function kindLabel(kind: string): string {
  const k = kind.toLowerCase();
  if (k === 'api') return 'API';
  return k.charAt(0).toUpperCase() + k.slice(1);
}

/** kindPlural is a kind as a tab name: "APIs", "Components". */
export function kindPlural(kind: string): string {
  return `${kindLabel(kind)}s`;
}

/** safeHref keeps a link from a descriptor only when it is http(s) or mailto. */
export function safeHref(url: string): string | null {
  try {
    const u = new URL(url);
    return ['http:', 'https:', 'mailto:'].includes(u.protocol) ? u.href : null;
  } catch {
    return null;
  }
}

/** facetLabel names the search facets. */
export function facetLabel(field: string): string {
  switch (field) {
    case 'kind':
      return 'Kind';
    case 'spec.type':
      return 'Type';
    case 'spec.owner':
      return 'Owner';
    case 'spec.lifecycle':
      return 'Lifecycle';
    case 'metadata.tags':
      return 'Tags';
    default:
      return field;
  }
}
