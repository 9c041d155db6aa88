// The Actions tab of an entity: the actions offered on it, each opening
// its form (a lazy chunk with @rjsf/core) that plans, then runs.

import { Suspense, lazy, useEffect, useRef } from 'react';
import type { CombinedError } from 'urql';
import { Empty, ErrorState, Loading } from '../components/States';
import type { EntityActionsQuery } from '../gql/graphql';
import { Link, navigate } from '../lib/nav';
import { hrefOf, type Route } from '../lib/routes';

const ActionForm = lazy(() => import('./ActionForm'));

type EntityRoute = Extract<Route, { page: 'entity' }>;

export function EntityActions({
  route,
  target,
  actions,
  error,
  fetching,
  retry,
}: {
  route: EntityRoute;
  target: string;
  actions: EntityActionsQuery['actions'] | undefined;
  error: CombinedError | undefined;
  fetching: boolean;
  retry: () => void;
}) {
  const selected = actions?.find((a) => a.id === route.action);
  const back = useRef<string | null>(null);
  const list = useRef<HTMLUListElement>(null);
  // Back from a form: focus the button that opened it.
  useEffect(() => {
    if (!route.action && back.current) {
      list.current?.querySelector<HTMLElement>(`[data-action="${CSS.escape(back.current)}"]`)?.focus();
      back.current = null;
    }
  }, [route.action]);

  if (fetching && !actions) return <Loading what="the actions" />;
  if (error && !actions) return <ErrorState error={error} retry={retry} />;
  if (!actions || actions.length === 0) {
    return (
      <Empty title="No actions on this entity">
        <p>
          Actions come from Pont’s plugins, each for some kinds of entity (docs/plugins.md). None applies to this one, or none is enabled
          in Pont’s configuration.
        </p>
      </Empty>
    );
  }
  const open = (id: string | undefined) => navigate(hrefOf({ ...route, tab: 'actions', action: id }));
  return (
    <section aria-labelledby="actions-h">
      <h2 id="actions-h">Actions</h2>
      {route.action && !selected && (
        <p className="notice warn" role="alert">
          There is no action “{route.action}” on this entity, or you may not run it. Pick one below.
        </p>
      )}
      {!selected && (
        <ul className="action-list" ref={list}>
          {actions.map((a) => (
            <li key={a.id} className="action-card">
              <h3>{a.title}</h3>
              <p className="sub">
                <code>{a.id}</code>
                {a.approval && <span className="badge warn">may need approval</span>}
              </p>
              {a.description && <p>{a.description}</p>}
              <p>
                <Link
                  className="button"
                  href={hrefOf({ ...route, tab: 'actions', action: a.id })}
                  data-action={a.id}
                  aria-label={`Open ${a.title}`}
                >
                  Open {a.title}
                </Link>
              </p>
            </li>
          ))}
        </ul>
      )}
      {selected && (
        <Suspense fallback={<Loading what="the form" />}>
          <ActionForm
            key={selected.id}
            action={selected}
            target={target}
            onCancel={() => {
              back.current = selected.id;
              open(undefined);
            }}
          />
        </Suspense>
      )}
    </section>
  );
}
