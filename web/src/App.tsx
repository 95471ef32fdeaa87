import { useQueryClient } from "@tanstack/react-query";
import { lazy, Suspense, useEffect, type ComponentType } from "react";
import { Navigate, Outlet, useLocation, useNavigate, type RouteObject } from "react-router";

import { SESSION_EXPIRED, sessionEvents } from "./api/client";
import { LoginPage, SetupPage } from "./auth/AuthPages";
import { loginPath } from "./auth/redirect";
import { ME_KEY } from "./auth/session";
import { RequireSession } from "./components/Shell";
import { NotFound } from "./pages/Placeholder";
import { PageLoading } from "./pages/PageLoading";

// Each page is its own download (React.lazy), fetched when first visited: the first page
// loads only the app shell, log-in and what that page needs (the editor's canvas, the
// charts and CodeMirror never come with the Workflows list).
const DashboardPage = lazy(() => import("./dashboard/DashboardPage").then((m) => ({ default: m.DashboardPage })));
const EditorPage = lazy(() => import("./editor/EditorPage").then((m) => ({ default: m.EditorPage })));
const IntegrationTypesPage = lazy(() => import("./integration-types/IntegrationTypesPage").then((m) => ({ default: m.IntegrationTypesPage })));
const IntegrationsPage = lazy(() => import("./integrations/IntegrationsPage").then((m) => ({ default: m.IntegrationsPage })));
const ExecutionDetailPage = lazy(() => import("./executions/ExecutionDetail").then((m) => ({ default: m.ExecutionDetailPage })));
const ExecutionsPage = lazy(() => import("./executions/ExecutionsPage").then((m) => ({ default: m.ExecutionsPage })));
const SettingsPage = lazy(() => import("./settings/SettingsPage").then((m) => ({ default: m.SettingsPage })));
const WorkflowsPage = lazy(() => import("./workflows/WorkflowsPage").then((m) => ({ default: m.WorkflowsPage })));

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
