import { useId } from "react";

import { TagChip } from "../components/TagInput";
import { inputClass } from "../components/ui";
import type { TagCount } from "./api";
import type { ActiveFilter, SortKey } from "./listing";

export interface ListControlsProps {
  search: string;
  active: ActiveFilter;
  sort: SortKey;
  /** The tags the list is filtered by (all of them), and every tag in use. */
  tags: readonly string[];
  allTags: readonly TagCount[];
  onSearch: (value: string) => void;
  onActive: (value: ActiveFilter) => void;
  onSort: (value: SortKey) => void;
  onTags: (value: string[]) => void;
}

/** Search, status and tag filters and sort order of the workflows list. */
export function ListControls(props: ListControlsProps) {
  const { search, active, sort, onSearch, onActive, onSort } = props;
  const ids = { search: useId(), status: useId(), sort: useId() };
  return (
    <div className="space-y-2">
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
        <TagSelect {...props} />
      </div>
      {props.tags.length > 0 && (
        <div className="flex flex-wrap items-center gap-1.5 text-sm">
          <span className="text-zinc-600 dark:text-zinc-400">Having every tag:</span>
          <ul aria-label="Tag filter" className="flex flex-wrap gap-1.5">
            {props.tags.map((tag) => (
              <li key={tag}>
                <TagChip tag={tag} onRemove={() => props.onTags(props.tags.filter((t) => t !== tag))} />
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}

/** Add a tag to the filter: the tags in use, with their number of workflows. */
function TagSelect({ tags, allTags, onTags }: ListControlsProps) {
  const id = useId();
  const left = allTags.filter((t) => !tags.includes(t.tag));
  return (
    <div>
      <label htmlFor={id} className="mb-1 block text-sm font-medium">
        Tag
      </label>
      <select
        id={id}
        value=""
        disabled={left.length === 0}
        onChange={(e) => e.target.value && onTags([...tags, e.target.value])}
        className={inputClass}
      >
        <option value="">{allTags.length ? "Filter by tag…" : "No tags yet"}</option>
        {left.map((t) => (
          <option key={t.tag} value={t.tag}>
            {t.tag} ({t.count})
          </option>
        ))}
      </select>
    </div>
  );
}
