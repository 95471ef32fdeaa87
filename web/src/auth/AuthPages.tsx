import { Workflow } from "lucide-react";
import { useState, type FormEvent } from "react";
import { Navigate, useNavigate, useSearchParams } from "react-router";

import { ErrorMessage, fieldError } from "../components/ErrorMessage";
import { Button, Card, Field } from "../components/ui";
import { safeNext } from "./redirect";
import { useLogin, useSetup, useSetupStatus } from "./session";

function AuthFrame({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <main className="flex min-h-screen items-center justify-center bg-zinc-50 p-4 dark:bg-zinc-950">
      <Card className="w-full max-w-sm space-y-5">
        <div className="flex items-center gap-2">
          <Workflow aria-hidden className="size-6 text-indigo-600" />
          <span className="text-lg font-semibold">Wirework</span>
        </div>
        <h1 className="text-xl font-semibold">{title}</h1>
        {children}
      </Card>
    </main>
  );
}

export function LoginPage() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const setup = useSetupStatus();
  const login = useLogin();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");

  if (setup.data?.needs_setup) return <Navigate to="/setup" replace />;

  function submit(event: FormEvent) {
    event.preventDefault();
    login.mutate(
      { email, password },
      { onSuccess: () => navigate(safeNext(params.get("next")), { replace: true }) },
    );
  }

  return (
    <AuthFrame title="Log in">
      <form onSubmit={submit} className="space-y-4" noValidate>
        <Field
          label="E-mail"
          type="email"
          autoComplete="username"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          error={fieldError(login.error, "email")}
        />
        <Field
          label="Password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={fieldError(login.error, "password")}
        />
        <ErrorMessage error={login.error} />
        <Button type="submit" variant="primary" className="w-full justify-center" disabled={login.isPending}>
          {login.isPending ? "Logging in…" : "Log in"}
        </Button>
      </form>
    </AuthFrame>
  );
}

export function SetupPage() {
  const navigate = useNavigate();
  const status = useSetupStatus();
  const setup = useSetup();
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");

  if (status.data && !status.data.needs_setup && !setup.isSuccess) {
    return <Navigate to="/login" replace />;
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    setup.mutate(
      { name, email, password },
      { onSuccess: () => navigate("/workflows", { replace: true }) },
    );
  }

  return (
    <AuthFrame title="Set up your instance">
      <p className="text-sm text-zinc-600 dark:text-zinc-400">
        Create the owner account. You can invite others later.
      </p>
      <ErrorMessage error={status.error} />
      <form onSubmit={submit} className="space-y-4" noValidate>
        <Field
          label="Name"
          autoComplete="name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          error={fieldError(setup.error, "name")}
        />
        <Field
          label="E-mail"
          type="email"
          autoComplete="username"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          error={fieldError(setup.error, "email")}
        />
        <Field
          label="Password"
          type="password"
          autoComplete="new-password"
          required
          minLength={8}
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={fieldError(setup.error, "password")}
        />
        <ErrorMessage error={setup.error} />
        <Button type="submit" variant="primary" className="w-full justify-center" disabled={setup.isPending}>
          {setup.isPending ? "Creating…" : "Create owner"}
        </Button>
      </form>
    </AuthFrame>
  );
}
