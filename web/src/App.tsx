import { useQueryClient } from "@tanstack/react-query";
import { lazy, Suspense, useEffect, type ComponentType } from "react";
import { matchRoutes, Navigate, Outlet, useLocation, useNavigate, type RouteObject } from "react-router";

import { SESSION_EXPIRED, sessionEvents } from "./api/client";
import { LoginPage, SetupPage } from "./auth/AuthPages";
import { loginPath } from "./auth/redirect";
import { ME_KEY } from "./auth/session";
import { RequireSession } from "./components/Shell";
import { NotFound } from "./pages/Placeholder";
import { PageLoading } from "./pages/PageLoading";

// Each page is its own download (React.lazy), fetched when first visited: the first page
// loads only the app shell, log-in and what that page needs (the editor's canvas, the
// charts and CodeMirror never come with the Workflows list). `preloadRoute` starts the
// download of the page being opened at once, alongside the session check.
const once = <T,>(load: () => Promise<T>) => {
  let started: Promise<T> | null = null;
  return () => (started ??= load());
};
const LOAD = {
  dashboard: once(() => import("./dashboard/DashboardPage")),
  editor: once(() => import("./editor/EditorPage")),
  integrationTypes: once(() => import("./integration-types/IntegrationTypesPage")),
  integrations: once(() => import("./integrations/IntegrationsPage")),
  executionDetail: once(() => import("./executions/ExecutionDetail")),
  executions: once(() => import("./executions/ExecutionsPage")),
  settings: once(() => import("./settings/SettingsPage")),
  workflows: once(() => import("./workflows/WorkflowsPage")),
};
const DashboardPage = lazy(() => LOAD.dashboard().then((m) => ({ default: m.DashboardPage })));
const EditorPage = lazy(() => LOAD.editor().then((m) => ({ default: m.EditorPage })));
const IntegrationTypesPage = lazy(() => LOAD.integrationTypes().then((m) => ({ default: m.IntegrationTypesPage })));
const IntegrationsPage = lazy(() => LOAD.integrations().then((m) => ({ default: m.IntegrationsPage })));
const ExecutionDetailPage = lazy(() => LOAD.executionDetail().then((m) => ({ default: m.ExecutionDetailPage })));
const ExecutionsPage = lazy(() => LOAD.executions().then((m) => ({ default: m.ExecutionsPage })));
const SettingsPage = lazy(() => LOAD.settings().then((m) => ({ default: m.SettingsPage })));
const WorkflowsPage = lazy(() => LOAD.workflows().then((m) => ({ default: m.WorkflowsPage })));

/** The page download of each route path. */
const PRELOAD: Record<string, () => Promise<unknown>> = {
  dashboard: LOAD.dashboard,
  "workflows/:id": LOAD.editor,
  "integration-types": LOAD.integrationTypes,
  integrations: LOAD.integrations,
  "executions/:id": LOAD.executionDetail,
  executions: LOAD.executions,
  settings: LOAD.settings,
  workflows: LOAD.workflows,
};

/** Start downloading the page at `pathname` (main.tsx calls it before the first render, so
 * the page's code and the session check travel together). */
export function preloadRoute(pathname: string): void {
  const path = matchRoutes(routes, pathname)?.at(-1)?.route.path;
  const load = path ? PRELOAD[path] : pathname === "/" ? LOAD.workflows : undefined;
  void load?.().catch(() => undefined);
}

/** A lazily loaded page, with a loading state while its code arrives. */
function page(Page: ComponentType, fullScreen = false) {
  return (
    <Suspense fallback={<PageLoading fullScreen={fullScreen} />}>
      <Page />
    </Suspense>
  );
}

/** A 401 from any call (session expired, revoked): log in, then come back here. */
function SessionWatcher() {
  const navigate = useNavigate();
  const location = useLocation();
  const client = useQueryClient();
  useEffect(() => {
    const onExpired = () => {
      client.removeQueries({ queryKey: ME_KEY });
      if (location.pathname !== "/login" && location.pathname !== "/setup") {
        navigate(loginPath(location), { replace: true });
      }
    };
    sessionEvents.addEventListener(SESSION_EXPIRED, onExpired);
    return () => sessionEvents.removeEventListener(SESSION_EXPIRED, onExpired);
  }, [client, navigate, location]);
  return null;
}

/** The root of every page: the session watcher, then the page. */
export function App() {
  return (
    <>
      <SessionWatcher />
      <Outlet />
    </>
  );
}

/** Every route of the app (a data router: main.tsx and the tests build one from these). */
export const routes: RouteObject[] = [
  {
    element: <App />,
    children: [
      { path: "/setup", element: <SetupPage /> },
      { path: "/login", element: <LoginPage /> },
      // The editor is full screen: signed in, but without the app's navigation around it.
      { element: <RequireSession bare />, children: [{ path: "workflows/:id", element: page(EditorPage, true) }] },
      {
        element: <RequireSession />,
        children: [
          { index: true, element: <Navigate to="/workflows" replace /> },
          { path: "dashboard", element: page(DashboardPage) },
          { path: "workflows", element: page(WorkflowsPage) },
          { path: "executions", element: page(ExecutionsPage) },
          { path: "executions/:id", element: page(ExecutionDetailPage) },
          { path: "integrations", element: page(IntegrationsPage) },
          { path: "integration-types", element: page(IntegrationTypesPage) },
          { path: "settings", element: page(SettingsPage) },
          { path: "*", element: <NotFound /> },
        ],
      },
    ],
  },
];
