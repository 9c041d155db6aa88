// A plan (what a run would change): its summary, then each change with
// its diff. Added and removed lines say so in words for screen readers
// (and are <ins>/<del>), not only by colour and +/- marks.

import { useId, type Ref } from 'react';
import { changeVerb, diffStat, parseDiff } from '../lib/diff';

export interface PlanChange {
  action: string;
  kind: string;
  name: string;
  diff: string;
}

export function DiffView({ text, label }: { text: string; label: string }) {
  const d = parseDiff(text);
  if (d.lines.length === 0) return <p className="muted">No diff.</p>;
  return (
    <div className="diff" role="region" aria-label={label} tabIndex={0}>
      {d.lines.map((l, i) => {
        switch (l.kind) {
          case 'add':
            return (
              <ins key={i} className="diff-line diff-add">
                <span className="visually-hidden">Added: </span>
                <span className="diff-mark" aria-hidden="true">+</span>
                {l.text}
              </ins>
            );
          case 'del':
            return (
              <del key={i} className="diff-line diff-del">
                <span className="visually-hidden">Removed: </span>
                <span className="diff-mark" aria-hidden="true">−</span>
                {l.text}
              </del>
            );
          case 'hunk':
            return (
              <span key={i} className="diff-line diff-hunk">
                {l.text}
              </span>
            );
          case 'file':
            return (
              <span key={i} className="diff-line diff-file">
                {l.text === '/dev/null' ? '(nothing)' : l.text}
              </span>
            );
          case 'ctx':
            return (
              <span key={i} className="diff-line diff-ctx">
                <span className="diff-mark" aria-hidden="true">
                  {' '}
                </span>
                {l.text}
              </span>
            );
          default:
            return (
              <span key={i} className="diff-line">
                {l.text}
              </span>
            );
        }
      })}
    </div>
  );
}

export function PlanView({
  plan,
  headingLevel = 2,
  headingRef,
}: {
  plan: { summary: string; changes: readonly PlanChange[] };
  headingLevel?: 2 | 3;
  headingRef?: Ref<HTMLHeadingElement>;
}) {
  const id = useId();
  const H = headingLevel === 2 ? 'h2' : 'h3';
  const changed = plan.changes.filter((c) => c.action.toLowerCase() !== 'unchanged').length;
  return (
    <section className="plan" aria-labelledby={`${id}-h`}>
      <H id={`${id}-h`} ref={headingRef} tabIndex={-1}>
        Plan
      </H>
      <p className="plan-summary">{plan.summary}</p>
      {plan.changes.length === 0 ? (
        <p className="muted">This run changes nothing.</p>
      ) : (
        <>
          <p className="muted">
            {plan.changes.length} change{plan.changes.length === 1 ? '' : 's'}
            {changed !== plan.changes.length ? ` (${plan.changes.length - changed} unchanged)` : ''}.
          </p>
          <ol className="changes">
            {plan.changes.map((c, i) => {
              const verb = changeVerb(c.action);
              const stat = diffStat(parseDiff(c.diff));
              return (
                <li key={i} className={`change change-${c.action.toLowerCase()}`}>
                  <details open={plan.changes.length <= 3 || undefined}>
                    <summary>
                      <span className={`badge change-${c.action.toLowerCase()}`}>{verb}</span> {c.kind} <code>{c.name}</code>
                      {stat && <span className="sub-inline"> · {stat}</span>}
                    </summary>
                    <DiffView text={c.diff} label={`${verb} ${c.kind} ${c.name}: diff`} />
                  </details>
                </li>
              );
            })}
          </ol>
        </>
      )}
    </section>
  );
}
