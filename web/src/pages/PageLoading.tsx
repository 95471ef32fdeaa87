/** What a page shows while its code is downloading (pages are loaded lazily). */
export function PageLoading({ fullScreen = false }: { fullScreen?: boolean }) {
  return (
    <div className={`flex items-center justify-center p-8 text-sm text-zinc-500 dark:text-zinc-400 ${fullScreen ? "h-screen" : ""}`}>
      <span role="status">Loading…</span>
    </div>
  );
}
