import { useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { Navigate, Route, Routes, useLocation, useNavigate } from "react-router";

import { SESSION_EXPIRED, sessionEvents } from "./api/client";
import { LoginPage, SetupPage } from "./auth/AuthPages";
import { loginPath } from "./auth/redirect";
import { ME_KEY } from "./auth/session";
import { RequireSession } from "./components/Shell";
import { DashboardPage } from "./dashboard/DashboardPage";
import { IntegrationTypesPage } from "./integration-types/IntegrationTypesPage";
import { IntegrationsPage } from "./integrations/IntegrationsPage";
import { NotFound, Placeholder } from "./pages/Placeholder";
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

export function App() {
  return (
    <>
      <SessionWatcher />
      <Routes>
        <Route path="/setup" element={<SetupPage />} />
        <Route path="/login" element={<LoginPage />} />
        <Route element={<RequireSession />}>
          <Route index element={<Navigate to="/workflows" replace />} />
          <Route path="dashboard" element={<DashboardPage />} />
          <Route path="workflows" element={<WorkflowsPage />} />
          <Route path="workflows/:id" element={<Placeholder title="Workflow editor" />} />
          <Route path="executions" element={<ExecutionsPage />} />
          <Route path="executions/:id" element={<ExecutionDetailPage />} />
          <Route path="integrations" element={<IntegrationsPage />} />
          <Route path="integration-types" element={<IntegrationTypesPage />} />
          <Route path="settings" element={<SettingsPage />} />
          <Route path="*" element={<NotFound />} />
        </Route>
      </Routes>
    </>
  );
}
