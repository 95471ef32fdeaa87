import { useId } from "react";

import { PERIODS, type Period } from "./format";

/** The period as a row of radio buttons (arrow keys move between them, as for any radios). */
export function PeriodPicker({ value, onChange }: { value: Period; onChange: (p: Period) => void }) {
  const name = useId();
  return (
    <fieldset className="flex items-center gap-2">
      <legend className="sr-only">Period</legend>
      <span aria-hidden className="text-sm text-zinc-600 dark:text-zinc-400">
        Last
      </span>
      <div className="flex rounded-md border border-zinc-300 bg-white p-0.5 dark:border-zinc-700 dark:bg-zinc-900">
        {(Object.keys(PERIODS) as Period[]).map((p) => (
          <label
            key={p}
            className={`relative cursor-pointer rounded px-3 py-1 text-sm has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-offset-2 has-[:focus-visible]:outline-indigo-500 ${
              p === value
                ? "bg-indigo-600 font-medium text-white"
                : "text-zinc-700 hover:bg-zinc-100 dark:text-zinc-300 dark:hover:bg-zinc-800"
            }`}
          >
            <input
              type="radio"
              name={name}
              value={p}
              checked={p === value}
              onChange={() => onChange(p)}
              className="absolute inset-0 cursor-pointer appearance-none opacity-0"
              aria-label={`Last ${PERIODS[p]}`}
            />
            <span aria-hidden>{p}</span>
          </label>
        ))}
      </div>
    </fieldset>
  );
}
