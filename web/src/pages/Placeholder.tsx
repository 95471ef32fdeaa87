import { Link } from "react-router";

export function PageTitle({ children }: { children: React.ReactNode }) {
  return <h1 className="text-2xl font-semibold">{children}</h1>;
}

/** Pages still to come: a title and where to go meanwhile. */
export function Placeholder({ title }: { title: string }) {
  return (
    <section className="space-y-3">
      <PageTitle>{title}</PageTitle>
      <p className="text-sm text-zinc-600 dark:text-zinc-400">
        This page is not built yet. The API behind it is documented at{" "}
        <a className="text-indigo-600 underline dark:text-indigo-400" href="/docs">
          /docs
        </a>
        .
      </p>
    </section>
  );
}

export function NotFound() {
  return (
    <section className="space-y-3">
      <PageTitle>Page not found</PageTitle>
      <Link className="text-indigo-600 underline dark:text-indigo-400" to="/workflows">
        Back to workflows
      </Link>
    </section>
  );
}
