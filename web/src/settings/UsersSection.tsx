import { KeyRound, Trash2, UserPlus } from "lucide-react";
import { useId, useState, type FormEvent } from "react";

import type { User } from "../auth/session";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { ErrorMessage, fieldError } from "../components/ErrorMessage";
import { Button, Card, Field, inputClass, tableHeadClass, tableRowClass } from "../components/ui";
import { ROLES, useCreateUser, useDeleteUser, useUpdateUser, useUsers, type Role } from "./api";
import { Notice, SectionTitle, when } from "./parts";

export function Users({ me }: { me: User }) {
  const users = useUsers(true);
  const update = useUpdateUser();
  const [actionError, setActionError] = useState<{ title: string; error: unknown } | null>(null);
  const [notice, setNotice] = useState("");
  const [toDeactivate, setToDeactivate] = useState<User | null>(null);
  const [toDelete, setToDelete] = useState<User | null>(null);
  const [passwordFor, setPasswordFor] = useState<User | null>(null);
  const remove = useDeleteUser();
  const titleId = useId();
  const busy = update.isPending || remove.isPending;

  function deleteUser(u: User) {
    setNotice("");
    setActionError(null);
    remove.mutate(u.id, {
      onSuccess: () => setNotice(`Deleted ${u.email}.`),
      onError: (error) => setActionError({ title: `Could not delete ${u.email}`, error }),
      onSettled: () => setToDelete(null),
    });
  }

  function change(u: User, body: { role?: Role; is_active?: boolean }, done: string, what: string) {
    setNotice("");
    setActionError(null);
    update.mutate(
      { id: u.id, ...body },
      {
        onSuccess: () => setNotice(done),
        onError: (error) => setActionError({ title: `Could not ${what}`, error }),
        onSettled: () => setToDeactivate(null),
      },
    );
  }

  return (
    <Card>
      <section aria-labelledby={titleId} className="space-y-4">
        <SectionTitle id={titleId}>Users</SectionTitle>
        <p className="text-sm text-zinc-600 dark:text-zinc-400">
          Owners grant any role; admins manage editors and viewers. The server refuses anything else.
        </p>
        <CreateUser onCreated={(u) => setNotice(`Created ${u.email} (${u.role}).`)} />
        <Notice>{notice}</Notice>
        {actionError && <ErrorMessage error={actionError.error} title={actionError.title} />}
        <ErrorMessage error={users.error} title="Could not load users" />
        {users.data && (
          <div className="overflow-x-auto">
            <table className="w-full text-left text-sm">
              <thead className={tableHeadClass}>
                <tr>
                  <th scope="col" className="px-3 py-2">User</th>
                  <th scope="col" className="px-3 py-2">Role</th>
                  <th scope="col" className="px-3 py-2">Status</th>
                  <th scope="col" className="px-3 py-2">Created</th>
                  <th scope="col" className="px-3 py-2 text-right">Actions</th>
                </tr>
              </thead>
              <tbody>
                {users.data.map((u) => (
                  <tr key={u.id} className={tableRowClass}>
                    <td className="px-3 py-2">
                      <span className="font-medium">{u.name || u.email}</span>
                      {u.name && <span className="block text-xs text-zinc-500 dark:text-zinc-400">{u.email}</span>}
                      {u.id === me.id && <span className="text-xs text-zinc-500 dark:text-zinc-400"> (you)</span>}
                    </td>
                    <td className="px-3 py-2">
                      <select
                        aria-label={`Role of ${u.email}`}
                        value={u.role}
                        disabled={update.isPending}
                        onChange={(e) => {
                          const role = e.target.value as Role;
                          change(u, { role }, `${u.email} is now ${role}.`, `change the role of ${u.email}`);
                        }}
                        className={`${inputClass} w-32`}
                      >
                        {ROLES.map((r) => (
                          <option key={r}>{r}</option>
                        ))}
                      </select>
                    </td>
                    <td className="px-3 py-2">
                      <span
                        className={`inline-flex rounded-full px-2 py-0.5 text-xs font-medium ${
                          u.is_active
                            ? "bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300"
                            : "bg-zinc-200 text-zinc-700 dark:bg-zinc-800 dark:text-zinc-400"
                        }`}
                      >
                        {u.is_active ? "active" : "deactivated"}
                      </span>
                    </td>
                    <td className="px-3 py-2 whitespace-nowrap">{when(u.created_at, "—")}</td>
                    <td className="px-3 py-2 text-right">
                      {u.id !== me.id && (
                        <div className="flex justify-end gap-1">
                          {u.is_active ? (
                            <Button variant="ghost" aria-label={`Deactivate ${u.email}`} disabled={busy} onClick={() => setToDeactivate(u)}>
                              Deactivate
                            </Button>
                          ) : (
                            <Button
                              variant="ghost"
                              aria-label={`Reactivate ${u.email}`}
                              disabled={busy}
                              onClick={() => change(u, { is_active: true }, `Reactivated ${u.email}.`, `reactivate ${u.email}`)}
                            >
                              Reactivate
                            </Button>
                          )}
                          <Button variant="ghost" aria-label={`Set a new password for ${u.email}`} disabled={busy} onClick={() => setPasswordFor(u)}>
                            <KeyRound aria-hidden className="size-4" />
                            Password
                          </Button>
                          <Button variant="ghost" aria-label={`Delete ${u.email}`} disabled={busy} onClick={() => setToDelete(u)}>
                            <Trash2 aria-hidden className="size-4 text-red-600 dark:text-red-400" />
                            Delete
                          </Button>
                        </div>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      {passwordFor && (
        <SetPassword
          user={passwordFor}
          onDone={(text) => {
            setPasswordFor(null);
            if (text) setNotice(text);
          }}
        />
      )}
      {toDelete && (
        <ConfirmDialog
          title="Delete user?"
          message={<>{toDelete.email} and their API keys are deleted for good. Workflows and integrations they created stay.</>}
          confirmLabel="Delete"
          busy={remove.isPending}
          onCancel={() => setToDelete(null)}
          onConfirm={() => deleteUser(toDelete)}
        />
      )}
      {toDeactivate && (
        <ConfirmDialog
          title="Deactivate user?"
          message={<>{toDeactivate.email} will be logged out and cannot log in or use API keys until reactivated.</>}
          confirmLabel="Deactivate"
          busy={update.isPending}
          onCancel={() => setToDeactivate(null)}
          onConfirm={() =>
            change(toDeactivate, { is_active: false }, `Deactivated ${toDeactivate.email}.`, `deactivate ${toDeactivate.email}`)
          }
        />
      )}
    </Card>
  );
}

function CreateUser({ onCreated }: { onCreated: (u: User) => void }) {
  const create = useCreateUser();
  const [open, setOpen] = useState(false);
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [role, setRole] = useState<Role>("editor");
  const roleId = useId();
  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate(
      { email: email.trim(), name: name.trim(), password, role },
      {
        onSuccess: (u) => {
          setEmail("");
          setName("");
          setPassword("");
          setRole("editor");
          setOpen(false);
          onCreated(u);
        },
      },
    );
  }
  if (!open) {
    return (
      <Button onClick={() => setOpen(true)} aria-expanded={false}>
        <UserPlus aria-hidden className="size-4" />
        Add a user
      </Button>
    );
  }
  return (
    <form onSubmit={submit} aria-label="Add a user" className="space-y-3 rounded-md border border-zinc-200 p-4 dark:border-zinc-800">
      <div className="grid gap-3 sm:grid-cols-2">
        <Field label="E-mail" type="email" required value={email} onChange={(e) => setEmail(e.target.value)} error={fieldError(create.error, "email")} autoComplete="off" />
        <Field label="Display name" value={name} onChange={(e) => setName(e.target.value)} error={fieldError(create.error, "name")} autoComplete="off" />
        <Field
          label="Initial password"
          type="password"
          required
          minLength={8}
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={fieldError(create.error, "password")}
          autoComplete="new-password"
        />
        <div className="space-y-1">
          <label htmlFor={roleId} className="block text-sm font-medium">
            Role
          </label>
          <select id={roleId} value={role} onChange={(e) => setRole(e.target.value as Role)} className={inputClass}>
            {ROLES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </div>
      </div>
      <ErrorMessage error={create.error} title="Could not add the user" />
      <div className="flex gap-2">
        <Button type="submit" variant="primary" disabled={create.isPending || !email.trim() || password.length < 8}>
          Add user
        </Button>
        <Button onClick={() => setOpen(false)}>Cancel</Button>
      </div>
    </form>
  );
}

/** A new password for another user (no current password needed: the server checks that you
 * manage them). It ends their sessions and login tokens. */
function SetPassword({ user, onDone }: { user: User; onDone: (notice: string | null) => void }) {
  const update = useUpdateUser();
  const [password, setPassword] = useState("");
  function submit(event: FormEvent) {
    event.preventDefault();
    update.mutate(
      { id: user.id, password },
      { onSuccess: () => onDone(`New password set for ${user.email}; their sessions have ended.`) },
    );
  }
  return (
    <form
      onSubmit={submit}
      aria-label={`New password for ${user.email}`}
      onKeyDown={(e) => e.key === "Escape" && onDone(null)}
      className="mt-4 space-y-3 rounded-md border border-zinc-200 p-4 dark:border-zinc-800"
    >
      <Field
        autoFocus
        label={`New password for ${user.email}`}
        type="password"
        autoComplete="new-password"
        required
        minLength={8}
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        error={fieldError(update.error, "password")}
      />
      <ErrorMessage error={update.error} title="Could not set the password" />
      <div className="flex gap-2">
        <Button type="submit" variant="primary" disabled={update.isPending || password.length < 8}>
          Set password
        </Button>
        <Button onClick={() => onDone(null)}>Cancel</Button>
      </div>
    </form>
  );
}
