import { Copy, KeyRound, Plus, Trash2 } from "lucide-react";
import { useId, useRef, useState, type FormEvent } from "react";

import { AssistantSection } from "../ai/assistant/AssistantSection";
import { useMe, type User } from "../auth/session";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { ErrorMessage, fieldError } from "../components/ErrorMessage";
import { Button, Card, Field, inputClass, tableHeadClass, tableRowClass } from "../components/ui";
import { PageTitle } from "../pages/Placeholder";
import {
  canManageUsers,
  parseExpiry,
  useApiKeys,
  useChangePassword,
  useCreateApiKey,
  useRevokeApiKey,
  useUpdateProfile,
  type ApiKeyCreated,
  type ApiKeyOut,
} from "./api";
import { Notice, SectionTitle, when } from "./parts";
import { System } from "./SystemSection";
import { Users } from "./UsersSection";

export function SettingsPage() {
  const me = useMe();
  const user = me.data;
  return (
    <section className="space-y-6">
      <PageTitle>Settings</PageTitle>
      {user && (
        <>
          <div className="grid gap-6 lg:grid-cols-2">
            <Profile user={user} />
            <Password user={user} />
          </div>
          <ApiKeys />
          {canManageUsers(user.role) && <Users me={user} />}
          {canManageUsers(user.role) && <AssistantSection />}
          {canManageUsers(user.role) && <System />}
        </>
      )}
    </section>
  );
}

function Profile({ user }: { user: User }) {
  const update = useUpdateProfile();
  const [name, setName] = useState(user.name);
  const [notice, setNotice] = useState("");
  const titleId = useId();
  function submit(event: FormEvent) {
    event.preventDefault();
    setNotice("");
    update.mutate({ id: user.id, name: name.trim() }, { onSuccess: () => setNotice("Profile saved.") });
  }
  return (
    <Card>
      <form onSubmit={submit} aria-labelledby={titleId} className="space-y-3">
        <SectionTitle id={titleId}>Profile</SectionTitle>
        <p className="text-sm text-zinc-600 dark:text-zinc-400">
          {user.email} · role <strong>{user.role}</strong>
        </p>
        <Field label="Name" value={name} onChange={(e) => setName(e.target.value)} error={fieldError(update.error, "name")} autoComplete="name" />
        <ErrorMessage error={update.error} title="Could not save" />
        <Notice>{notice}</Notice>
        <Button type="submit" variant="primary" disabled={update.isPending || name.trim() === user.name}>
          Save profile
        </Button>
      </form>
    </Card>
  );
}

function Password({ user }: { user: User }) {
  const change = useChangePassword();
  const [current, setCurrent] = useState("");
  const [password, setPassword] = useState("");
  const [repeat, setRepeat] = useState("");
  const [mismatch, setMismatch] = useState("");
  const [notice, setNotice] = useState("");
  const titleId = useId();
  function submit(event: FormEvent) {
    event.preventDefault();
    setNotice("");
    if (password !== repeat) {
      setMismatch("The new passwords differ.");
      return;
    }
    setMismatch("");
    change.mutate(
      { user, current, password },
      {
        onSuccess: () => {
          setCurrent("");
          setPassword("");
          setRepeat("");
          setNotice("Password changed. Other sessions and log-in tokens have ended.");
        },
      },
    );
  }
  return (
    <Card>
      <form onSubmit={submit} aria-labelledby={titleId} className="space-y-3">
        <SectionTitle id={titleId}>Password</SectionTitle>
        <Field
          label="Current password"
          type="password"
          autoComplete="current-password"
          required
          value={current}
          onChange={(e) => setCurrent(e.target.value)}
          error={fieldError(change.error, "current_password")}
        />
        <Field
          label="New password"
          type="password"
          autoComplete="new-password"
          required
          minLength={8}
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={fieldError(change.error, "password")}
        />
        <Field
          label="Repeat the new password"
          type="password"
          autoComplete="new-password"
          required
          value={repeat}
          onChange={(e) => setRepeat(e.target.value)}
          error={mismatch || undefined}
        />
        <ErrorMessage error={change.error} title="Could not change the password" />
        <Notice>{notice}</Notice>
        <Button type="submit" variant="primary" disabled={change.isPending || !current || !password || !repeat}>
          Change password
        </Button>
      </form>
    </Card>
  );
}

function ApiKeys() {
  const keys = useApiKeys();
  const create = useCreateApiKey();
  const revoke = useRevokeApiKey();
  const [name, setName] = useState("");
  const [expiry, setExpiry] = useState("");
  const [expiryError, setExpiryError] = useState("");
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);
  const [toRevoke, setToRevoke] = useState<ApiKeyOut | null>(null);
  const [notice, setNotice] = useState("");
  const titleId = useId();

  function submit(event: FormEvent) {
    event.preventDefault();
    const parsed = parseExpiry(expiry);
    setExpiryError(parsed.error ?? "");
    if (parsed.error) return;
    setNotice("");
    create.mutate(
      { name: name.trim(), expires_in_days: parsed.days },
      {
        onSuccess: (key) => {
          setCreated(key);
          setName("");
          setExpiry("");
        },
      },
    );
  }

  return (
    <Card>
      <section aria-labelledby={titleId} className="space-y-4">
        <SectionTitle id={titleId}>API keys</SectionTitle>
        <p className="text-sm text-zinc-600 dark:text-zinc-400">
          Scripts call the API with <code>Authorization: Bearer &lt;key&gt;</code>. A key acts as you.
        </p>
        <form onSubmit={submit} aria-label="Create an API key" className="flex flex-wrap items-start gap-3">
          <div className="w-64">
            <Field label="Key name" value={name} onChange={(e) => setName(e.target.value)} error={fieldError(create.error, "name")} />
          </div>
          <div className="w-56">
            <Field
              label="Expires after (days, optional)"
              inputMode="numeric"
              value={expiry}
              onChange={(e) => setExpiry(e.target.value)}
              error={expiryError || fieldError(create.error, "expires_in_days")}
              placeholder="never"
            />
          </div>
          <Button type="submit" variant="primary" className="mt-6" disabled={!name.trim() || create.isPending}>
            <Plus aria-hidden className="size-4" />
            Create key
          </Button>
        </form>
        <ErrorMessage error={create.error} title="Could not create the key" />
        {created && <NewKey created={created} onDone={() => setCreated(null)} />}
        <Notice>{notice}</Notice>
        <ErrorMessage error={revoke.error} title="Could not revoke the key" />
        <ErrorMessage error={keys.error} title="Could not load API keys" />
        {keys.data && keys.data.length === 0 && <p className="text-sm text-zinc-500 dark:text-zinc-400">No API keys yet.</p>}
        {keys.data && keys.data.length > 0 && (
          <div className="overflow-x-auto">
            <table className="w-full text-left text-sm">
              <thead className={tableHeadClass}>
                <tr>
                  <th scope="col" className="px-3 py-2">Name</th>
                  <th scope="col" className="px-3 py-2">Starts with</th>
                  <th scope="col" className="px-3 py-2">Created</th>
                  <th scope="col" className="px-3 py-2">Last used</th>
                  <th scope="col" className="px-3 py-2">Expires</th>
                  <th scope="col" className="px-3 py-2 text-right">Actions</th>
                </tr>
              </thead>
              <tbody>
                {keys.data.map((k) => (
                  <tr key={k.id} className={tableRowClass}>
                    <td className="px-3 py-2 font-medium">{k.name}</td>
                    <td className="px-3 py-2 font-mono text-xs">{k.prefix}…</td>
                    <td className="px-3 py-2 whitespace-nowrap">{when(k.created_at, "—")}</td>
                    <td className="px-3 py-2 whitespace-nowrap">{when(k.last_used_at, "never")}</td>
                    <td className="px-3 py-2 whitespace-nowrap">{when(k.expires_at, "never")}</td>
                    <td className="px-3 py-2 text-right">
                      <Button variant="ghost" aria-label={`Revoke ${k.name}`} onClick={() => setToRevoke(k)}>
                        <Trash2 aria-hidden className="size-4 text-red-600" />
                        Revoke
                      </Button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      {toRevoke && (
        <ConfirmDialog
          title="Revoke API key?"
          message={<>Scripts using “{toRevoke.name}” ({toRevoke.prefix}…) will stop working at once.</>}
          confirmLabel="Revoke"
          busy={revoke.isPending}
          onCancel={() => setToRevoke(null)}
          onConfirm={() =>
            revoke.mutate(toRevoke.id, {
              onSuccess: () => setNotice(`Revoked “${toRevoke.name}”.`),
              onSettled: () => setToRevoke(null),
            })
          }
        />
      )}
    </Card>
  );
}

/** The new key, shown once: copy it now. */
function NewKey({ created, onDone }: { created: ApiKeyCreated; onDone: () => void }) {
  const [copied, setCopied] = useState("");
  const inputRef = useRef<HTMLInputElement>(null);
  const id = useId();
  async function copy() {
    try {
      await navigator.clipboard.writeText(created.key);
      setCopied("Copied.");
    } catch {
      inputRef.current?.select();
      setCopied("Could not copy: the key is selected, press Ctrl+C.");
    }
  }
  return (
    <div className="space-y-2 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm dark:border-amber-800 dark:bg-amber-950">
      <p className="flex items-center gap-2 font-medium">
        <KeyRound aria-hidden className="size-4" />
        Key “{created.name}” created. Copy it now: it is not shown again.
      </p>
      <label htmlFor={id} className="sr-only">
        The new API key
      </label>
      <div className="flex gap-2">
        <input id={id} ref={inputRef} readOnly value={created.key} className={`${inputClass} font-mono`} onFocus={(e) => e.target.select()} />
        <Button onClick={() => void copy()}>
          <Copy aria-hidden className="size-4" />
          Copy
        </Button>
        <Button variant="ghost" onClick={onDone}>
          Done
        </Button>
      </div>
      <p role="status" aria-live="polite" className="min-h-5">
        {copied}
      </p>
    </div>
  );
}
