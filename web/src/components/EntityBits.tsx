// Small pieces that show entities: a link by ref, tags, a kind badge.

import { entityPath, shortRef } from '../lib/entityRef';
import { kindLabel } from '../lib/format';
import { Link } from '../lib/nav';

export function EntityLink({
  entity,
  refText,
  contextKind,
}: {
  entity?: { ref: string; title?: string | null; name?: string } | null;
  refText?: string | null;
  contextKind?: string;
}) {
  const ref = entity?.ref ?? refText;
  if (!ref) return <span className="muted">none</span>;
  const label = entity?.title || shortRef(ref, contextKind);
  if (!entity) {
    return (
      <span className="missing" title={`${ref} is not in the catalog, or you may not see it`}>
        {shortRef(ref, contextKind)}
      </span>
    );
  }
  return (
    <Link href={entityPath(ref, contextKind)} title={ref}>
      {label}
    </Link>
  );
}

export function RefLink({ refText, contextKind }: { refText: string; contextKind?: string }) {
  return (
    <Link href={entityPath(refText, contextKind)} title={refText}>
      {shortRef(refText, contextKind)}
    </Link>
  );
}

export function Tags({ tags }: { tags: readonly string[] }) {
  if (tags.length === 0) return null;
  return (
    <ul className="tags" aria-label="Tags">
      {tags.map((t) => (
        <li key={t} className="tag">
          {t}
        </li>
      ))}
    </ul>
  );
}

export function KindBadge({ kind }: { kind: string }) {
  return <span className={`kind kind-${kind.toLowerCase()}`}>{kindLabel(kind)}</span>;
}
