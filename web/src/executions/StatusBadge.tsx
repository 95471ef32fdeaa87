import { badgeClass } from "./format";

/** A status as a coloured pill; the word itself carries the meaning (not only the colour). */
export function StatusBadge({ status }: { status: string }) {
  return (
    <span className={`inline-flex rounded-full px-2 py-0.5 text-xs font-medium ${badgeClass(status)}`}>
      {status}
    </span>
  );
}
