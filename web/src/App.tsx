import { useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { Navigate, Outlet, useLocation, useNavigate, type RouteObject } from "react-router";

import { SESSION_EXPIRED, sessionEvents } from "./api/client";
import { LoginPage, SetupPage } from "./auth/AuthPages";
import { loginPath } from "./auth/redirect";
import { ME_KEY } from "./auth/session";
import { RequireSession } from "./components/Shell";
import { DashboardPage } from "./dashboard/DashboardPage";
import { EditorPage } from "./editor/EditorPage";
import { IntegrationTypesPage } from "./integration-types/IntegrationTypesPage";
import { IntegrationsPage } from "./integrations/IntegrationsPage";
import { NotFound } from "./pages/Placeholder";
import { ExecutionDetailPage } from "./executions/ExecutionDetail";
import { ExecutionsPage } from "./executions/ExecutionsPage";
import { SettingsPage } from "./settings/SettingsPage";
import { WorkflowsPage } from "./workflows/WorkflowsPage";

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
      { element: <RequireSession bare />, children: [{ path: "workflows/:id", element: <EditorPage /> }] },
      {
        element: <RequireSession />,
        children: [
          { index: true, element: <Navigate to="/workflows" replace /> },
          { path: "dashboard", element: <DashboardPage /> },
          { path: "workflows", element: <WorkflowsPage /> },
          { path: "executions", element: <ExecutionsPage /> },
          { path: "executions/:id", element: <ExecutionDetailPage /> },
          { path: "integrations", element: <IntegrationsPage /> },
          { path: "integration-types", element: <IntegrationTypesPage /> },
          { path: "settings", element: <SettingsPage /> },
          { path: "*", element: <NotFound /> },
        ],
      },
    ],
  },
];
