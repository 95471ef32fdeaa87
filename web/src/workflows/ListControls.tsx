import { useId } from "react";

import { inputClass } from "../components/ui";
import type { ActiveFilter, SortKey } from "./listing";

export interface ListControlsProps {
  search: string;
  active: ActiveFilter;
  sort: SortKey;
  onSearch: (value: string) => void;
  onActive: (value: ActiveFilter) => void;
  onSort: (value: SortKey) => void;
}

/** Search, status filter and sort order of the workflows list. */
export function ListControls(props: ListControlsProps) {
  const { search, active, sort, onSearch, onActive, onSort } = props;
  const ids = { search: useId(), status: useId(), sort: useId() };
  return (
    <div className="flex flex-wrap items-end gap-3">
      <div className="min-w-48 flex-1">
        <label htmlFor={ids.search} className="mb-1 block text-sm font-medium">
          Search
        </label>
        <input
          id={ids.search}
          type="search"
          placeholder="Name contains…"
          value={search}
          onChange={(e) => onSearch(e.target.value)}
          className={inputClass}
        />
      </div>
      <div>
        <label htmlFor={ids.status} className="mb-1 block text-sm font-medium">
          Status
        </label>
        <select
          id={ids.status}
          value={active}
          onChange={(e) => onActive(e.target.value as ActiveFilter)}
          className={inputClass}
        >
          <option value="all">All</option>
          <option value="active">Active</option>
          <option value="inactive">Inactive</option>
        </select>
      </div>
      <div>
        <label htmlFor={ids.sort} className="mb-1 block text-sm font-medium">
          Sort by
        </label>
        <select
          id={ids.sort}
          value={sort}
          onChange={(e) => onSort(e.target.value as SortKey)}
          className={inputClass}
        >
          <option value="updated">Last changed</option>
          <option value="created">Newest</option>
          <option value="name">Name</option>
        </select>
      </div>
    </div>
  );
}
