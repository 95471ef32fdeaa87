import { BarChart3, Blocks, CircleCheck, Coins, KeyRound, ListChecks, LogOut, MessageSquareText, Settings, Workflow, Zap } from "lucide-react";
import { NavLink, Navigate, Outlet, useLocation, useNavigate } from "react-router";

import { loginPath } from "../auth/redirect";
import { useLogout, useMe, useSetupStatus } from "../auth/session";
import { ErrorMessage } from "./ErrorMessage";
import { ThemeToggle } from "./ThemeToggle";
import { Button, focusRing } from "./ui";

export const NAV = [
  { to: "/dashboard", label: "Dashboard", icon: BarChart3 },
  { to: "/workflows", label: "Workflows", icon: Workflow },
  { to: "/executions", label: "Executions", icon: ListChecks },
  { to: "/approvals", label: "Approvals", icon: CircleCheck },
  { to: "/integrations", label: "Integrations", icon: KeyRound },
  { to: "/integration-types", label: "Integration types", icon: Blocks },
  { to: "/prompt-templates", label: "Prompt templates", icon: MessageSquareText },
  { to: "/ai/costs", label: "AI costs", icon: Coins },
  { to: "/settings", label: "Settings", icon: Settings },
] as const;

/** The signed-in frame: navigation, theme, user; or off to set-up / log-in. `bare`: the page
 * alone (the full-screen editor). */
export function RequireSession({ bare = false }: { bare?: boolean }) {
  const location = useLocation();
  const setup = useSetupStatus();
  const me = useMe();
  if (setup.data?.needs_setup) return <Navigate to="/setup" replace />;
  if (me.data === null) return <Navigate to={loginPath(location)} replace />;
  if (me.isError) {
    return (
      <main className="p-8">
        <ErrorMessage error={me.error} title="Could not reach the server" />
      </main>
    );
  }
  // The full-screen editor starts loading its data at once: a missing session still ends
  // at the log-in page (above, or through the 401 of the page's own calls).
  if (bare) return <Outlet />;
  if (!me.data) {
    return (
      <p role="status" className="p-8 text-sm text-zinc-500 dark:text-zinc-400">
        Loading…
      </p>
    );
  }
  return <Shell email={me.data.email} />;
}

function Shell({ email }: { email: string }) {
  const navigate = useNavigate();
  const logout = useLogout();
  return (
    <div className="flex min-h-screen flex-col bg-zinc-50 text-zinc-900 md:flex-row dark:bg-zinc-950 dark:text-zinc-100">
      <a
        href="#main"
        className="sr-only rounded bg-indigo-600 px-3 py-2 text-white focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50"
      >
        Skip to content
      </a>
      <aside className="border-b border-zinc-200 bg-white md:w-56 md:shrink-0 md:border-r md:border-b-0 dark:border-zinc-800 dark:bg-zinc-900">
        <div className="flex items-center gap-2 px-4 py-3">
          <Zap aria-hidden className="size-5 text-indigo-600" />
          <span className="font-semibold">Wirework</span>
        </div>
        <nav aria-label="Main" className="flex gap-1 overflow-x-auto px-2 pb-2 md:flex-col">
          {NAV.map(({ to, label, icon: Icon }) => (
            <NavLink
              key={to}
              to={to}
              className={({ isActive }) =>
                `flex items-center gap-2 whitespace-nowrap rounded-md px-3 py-2 text-sm ${focusRing} ${
                  isActive
                    ? "bg-indigo-50 font-medium text-indigo-700 dark:bg-indigo-950 dark:text-indigo-300"
                    : "text-zinc-700 hover:bg-zinc-100 dark:text-zinc-300 dark:hover:bg-zinc-800"
                }`
              }
            >
              <Icon aria-hidden className="size-4" />
              {label}
            </NavLink>
          ))}
        </nav>
      </aside>
      <div className="flex min-w-0 flex-1 flex-col">
        <header className="flex items-center justify-end gap-2 border-b border-zinc-200 bg-white px-4 py-2 dark:border-zinc-800 dark:bg-zinc-900">
          <span className="mr-auto truncate text-sm text-zinc-600 dark:text-zinc-400" aria-label="Signed in as">
            {email}
          </span>
          <ThemeToggle />
          <Button
            variant="ghost"
            onClick={() => logout.mutate(undefined, { onSettled: () => navigate("/login") })}
          >
            <LogOut aria-hidden className="size-4" />
            Log out
          </Button>
        </header>
        <main id="main" tabIndex={-1} className="flex-1 p-4 md:p-8">
          <Outlet />
        </main>
      </div>
    </div>
  );
}
