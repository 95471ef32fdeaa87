import { useQueryClient } from "@tanstack/react-query";
import { lazy, Suspense, useEffect, useState, type ComponentType } from "react";
import { matchRoutes, Navigate, Outlet, useLocation, useNavigate, type RouteObject } from "react-router";

import { SESSION_EXPIRED, sessionEvents } from "./api/client";
import { LoginPage, SetupPage } from "./auth/AuthPages";
import { loginPath } from "./auth/redirect";
import { ME_KEY } from "./auth/session";
import { RequireSession } from "./components/Shell";
import { OAuth2CallbackPage } from "./integrations/OAuth2CallbackPage";
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

/**
 * A lazily loaded page. Once its code is here (preloaded with the session check), the page
 * renders directly instead of through React.lazy: a Suspense fallback, once shown, holds the
 * page back for React's reveal throttle (about 300 ms). Each mounted page keeps the way it
 * started, so it never remounts.
 */
function lazyPage<M>(load: () => Promise<M>, pick: (m: M) => ComponentType) {
  let loaded: ComponentType | null = null;
  const preload = () =>
    load().then((m) => {
      loaded ??= pick(m);
      return loaded;
    });
  const Lazy = lazy(() => preload().then((c) => ({ default: c })));
  function Page() {
    const [Direct] = useState(() => loaded);
    return Direct ? <Direct /> : <Lazy />;
  }
  return { Page, preload };
}

const approvals = lazyPage(once(() => import("./approvals/ApprovalsPage")), (m) => m.ApprovalsPage);
const dashboard = lazyPage(once(() => import("./dashboard/DashboardPage")), (m) => m.DashboardPage);
const editor = lazyPage(once(() => import("./editor/EditorPage")), (m) => m.EditorPage);
const integrationTypes = lazyPage(once(() => import("./integration-types/IntegrationTypesPage")), (m) => m.IntegrationTypesPage);
const integrations = lazyPage(once(() => import("./integrations/IntegrationsPage")), (m) => m.IntegrationsPage);
const executionDetail = lazyPage(once(() => import("./executions/ExecutionDetail")), (m) => m.ExecutionDetailPage);
const executions = lazyPage(once(() => import("./executions/ExecutionsPage")), (m) => m.ExecutionsPage);
const settings = lazyPage(once(() => import("./settings/SettingsPage")), (m) => m.SettingsPage);
const workflows = lazyPage(once(() => import("./workflows/WorkflowsPage")), (m) => m.WorkflowsPage);
const chat = lazyPage(once(() => import("./chat/ChatPage")), (m) => m.ChatPage);
const templates = lazyPage(once(() => import("./ai/TemplatesPage")), (m) => m.TemplatesPage);
const costs = lazyPage(once(() => import("./ai/CostsPage")), (m) => m.CostsPage);
const DashboardPage = dashboard.Page;
const EditorPage = editor.Page;
const IntegrationTypesPage = integrationTypes.Page;
const IntegrationsPage = integrations.Page;
const ApprovalsPage = approvals.Page;
const ExecutionDetailPage = executionDetail.Page;
const ExecutionsPage = executions.Page;
const SettingsPage = settings.Page;
const WorkflowsPage = workflows.Page;
const TemplatesPage = templates.Page;
const CostsPage = costs.Page;
const ChatPage = chat.Page;

/** The page download of each route path. */
const PRELOAD: Record<string, () => Promise<unknown>> = {
  approvals: approvals.preload,
  dashboard: dashboard.preload,
  "workflows/:id": editor.preload,
  "integration-types": integrationTypes.preload,
  integrations: integrations.preload,
  "executions/:id": executionDetail.preload,
  executions: executions.preload,
  settings: settings.preload,
  workflows: workflows.preload,
  "prompt-templates": templates.preload,
  "ai/costs": costs.preload,
  "/chat/:id": chat.preload,
};

/** Start downloading the page at `pathname` (main.tsx calls it before the first render, so
 * the page's code and the session check travel together). */
export function preloadRoute(pathname: string): void {
  const path = matchRoutes(routes, pathname)?.at(-1)?.route.path;
  const load = path ? PRELOAD[path] : pathname === "/" ? workflows.preload : undefined;
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
      // A workflow's chat: public (no session needed) or for signed-in users; the page asks.
      { path: "/chat/:id", element: page(ChatPage, true) },
      // The editor is full screen: signed in, but without the app's navigation around it.
      {
        element: <RequireSession bare />,
        children: [
          { path: "workflows/:id", element: page(EditorPage, true) },
          // Where an OAuth2 provider sends the browser back (usually in the Connect popup).
          { path: "oauth2/callback", element: <OAuth2CallbackPage /> },
        ],
      },
      {
        element: <RequireSession />,
        children: [
          { index: true, element: <Navigate to="/workflows" replace /> },
          { path: "dashboard", element: page(DashboardPage) },
          { path: "workflows", element: page(WorkflowsPage) },
          { path: "executions", element: page(ExecutionsPage) },
          { path: "executions/:id", element: page(ExecutionDetailPage) },
          { path: "approvals", element: page(ApprovalsPage) },
          { path: "integrations", element: page(IntegrationsPage) },
          { path: "integration-types", element: page(IntegrationTypesPage) },
          { path: "prompt-templates", element: page(TemplatesPage) },
          { path: "ai/costs", element: page(CostsPage) },
          { path: "settings", element: page(SettingsPage) },
          { path: "*", element: <NotFound /> },
        ],
      },
    ],
  },
];
