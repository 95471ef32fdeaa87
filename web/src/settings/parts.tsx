/** Small pieces shared by the Settings page's sections. */

export const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
export const when = (iso: string | null | undefined, none: string) => (iso ? dateFormat.format(new Date(iso)) : none);

export function SectionTitle({ id, children }: { id: string; children: React.ReactNode }) {
  return (
    <h2 id={id} className="mb-4 text-lg font-semibold">
      {children}
    </h2>
  );
}

export function Notice({ children }: { children: React.ReactNode }) {
  return (
    <p role="status" aria-live="polite" className="min-h-5 text-sm text-emerald-700 dark:text-emerald-400">
      {children}
    </p>
  );
}
