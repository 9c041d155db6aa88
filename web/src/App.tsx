// The app shell: header (search box, navigation, user), the page for the
// current address, and focus moved to the page's heading on navigation.

import { Suspense, lazy, useEffect, useRef, useState, type FormEvent } from 'react';
import { useQuery } from 'urql';
import { Loading } from './components/States';
import { UserMenu } from './components/User';
import { ViewerDocument } from './gql/graphql';
import { describeError } from './lib/errors';
import { Link, navigate, useLocation } from './lib/nav';
import { hrefOf, parseRoute, section, type Route } from './lib/routes';
import { CatalogPage } from './pages/CatalogPage';
import { EntityPage } from './pages/EntityPage';
import { HomePage } from './pages/HomePage';
import { SearchPage } from './pages/SearchPage';

const KubernetesPage = lazy(() => import('./pages/KubernetesPage'));
const RunsPage = lazy(() => import('./pages/RunsPage'));
const RunPage = lazy(() => import('./pages/RunPage'));
const AdminPage = lazy(() => import('./pages/AdminPage'));

const navItems = [
  { key: 'catalog', label: 'Catalog', href: '/catalog' },
  { key: 'kubernetes', label: 'Kubernetes', href: '/kubernetes' },
  { key: 'runs', label: 'Runs & approvals', href: '/runs' },
  { key: 'admin', label: 'Admin', href: '/admin' },
] as const;

function HeaderSearch({ route }: { route: Route }) {
  const [q, setQ] = useState(route.page === 'search' ? route.query : '');
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (route.page === 'search') setQ(route.query);
  }, [route]);
  // "/" focuses the search box from anywhere but a text field.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey) return;
      if (t && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName))) return;
      e.preventDefault();
      input.current?.focus();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    navigate(hrefOf({ page: 'search', query: q.trim(), kinds: route.page === 'search' ? route.kinds : [] }));
  };
  if (route.page === 'search') return <div className="header-search" />;
  return (
    <form role="search" className="header-search" onSubmit={submit}>
      <label htmlFor="header-q" className="visually-hidden">
        Search the catalog
      </label>
      <input
        id="header-q"
        ref={input}
        type="search"
        placeholder="Search the catalog  ( / )"
        autoComplete="off"
        value={q}
        onChange={(e) => setQ(e.target.value)}
      />
    </form>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'home':
      return <HomePage />;
    case 'search':
      return <SearchPage query={route.query} kinds={route.kinds} filters={route.filters} />;
    case 'catalog':
      return <CatalogPage kind={route.kind} size={route.size} />;
    case 'entity':
      return <EntityPage route={route} />;
    case 'kubernetes':
      return <KubernetesPage />;
    case 'runs':
      return <RunsPage view="runs" />;
    case 'approvals':
      return <RunsPage view="approvals" />;
    case 'run':
      return <RunPage id={route.id} />;
    case 'admin':
      return <AdminPage />;
    case 'notFound':
      return (
        <>
          <h1>Page not found</h1>
          <p>
            Pont has no page at <code>{route.path}</code>. Try the <Link href="/catalog">catalog</Link> or search for what you
            are looking for.
          </p>
        </>
      );
  }
}

export function App() {
  const loc = useLocation();
  const route = parseRoute(loc.pathname, loc.search);
  const [viewer] = useQuery({ query: ViewerDocument });
  const signedOut = viewer.error ? describeError(viewer.error).kind === 'signIn' : false;
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);

  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    // A new page: tell screen readers by moving focus to its heading,
    // once it is there (a lazy page or its data may come a moment later),
    // unless the user has moved focus into the page meanwhile.
    const box = main.current;
    if (!box) return;
    const focusHeading = () => {
      // Not the old page's heading, which Suspense keeps (hidden) until the new page is ready.
      const h = [...box.querySelectorAll('h1')].find((x) => x.getClientRects().length > 0);
      if (!h) return false;
      const active = document.activeElement;
      if (active && active !== document.body && active !== box && box.contains(active)) return true;
      h.setAttribute('tabindex', '-1');
      h.focus({ preventScroll: true });
      return true;
    };
    if (focusHeading()) return;
    const obs = new MutationObserver(() => {
      if (focusHeading()) obs.disconnect();
    });
    obs.observe(box, { childList: true, subtree: true, attributes: true, attributeFilter: ['style'] });
    const stop = setTimeout(() => obs.disconnect(), 5000);
    return () => {
      obs.disconnect();
      clearTimeout(stop);
    };
  }, [loc.pathname]);

  useEffect(() => {
    const h = main.current?.querySelector('h1')?.textContent;
    document.title = h ? `${h} · Pont` : 'Pont';
  });

  const current = section(route);
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="app-header">
        <Link href="/" className="brand" aria-label="Pont home">
          <img src="/favicon.svg" alt="" width="24" height="24" />
          <span>Pont</span>
        </Link>
        <nav aria-label="Main" className="main-nav">
          <ul>
            {navItems
              .filter((n) => n.key !== 'admin' || viewer.data)
              .map((n) => (
                <li key={n.key}>
                  <Link href={n.href} aria-current={current === n.key ? 'page' : undefined}>
                    {n.key === 'admin' && !viewer.data?.viewer.admin ? 'API tokens' : n.label}
                  </Link>
                </li>
              ))}
          </ul>
        </nav>
        <HeaderSearch route={route} />
        <UserMenu viewer={viewer.data?.viewer} signedOut={signedOut} />
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        {signedOut && route.page !== 'notFound' ? (
          <>
            <h1>Sign in to Pont</h1>
            <p>Pont shows the catalog, its Kubernetes state and actions to signed-in people.</p>
            <p>
              <a className="button primary" href={`/auth/login?returnTo=${encodeURIComponent(loc.pathname + loc.search)}`}>
                Sign in with your company account
              </a>
            </p>
          </>
        ) : (
          <Suspense fallback={<Loading what="the page" />}>
            <Page route={route} />
          </Suspense>
        )}
      </main>
    </>
  );
}
