import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";

import { fakeApi, json, type FakeApi } from "../test/fakeApi";
import { renderApp } from "../test/render";

const owner = { id: 1, email: "me@example.com", name: "Me", role: "owner", is_active: true, created_at: "2026-11-01T00:00:00Z" };
const emptyPage = { items: [], total: 0, limit: 200, offset: 0 };
let server: FakeApi | undefined;
afterEach(() => server?.restore());

describe("log-in", () => {
  it("a signed-out visit to a deep link logs in, then returns there", async () => {
    let loggedIn = false;
    server = fakeApi({
      "GET /api/setup": () => ({ needs_setup: false }),
      "GET /api/auth/session": () => ({ user: loggedIn ? owner : null }),
      "POST /api/auth/session": async (req) => {
        const body = (await req.json()) as { email: string; password: string };
        if (body.password !== "right password") {
          return json({ detail: "wrong e-mail or password", code: "unauthorized", errors: [] }, 401);
        }
        loggedIn = true;
        return { user: owner, expires_in: 3600 };
      },
      "GET /api/workflows": () => emptyPage,
    });
    const view = renderApp("/executions?status=error");
    await screen.findByRole("heading", { name: "Log in" });
    expect(view.location()).toBe("/login?next=%2Fexecutions%3Fstatus%3Derror");

    const user = userEvent.setup();
    await user.type(screen.getByLabelText("E-mail"), "me@example.com");
    await user.type(screen.getByLabelText("Password"), "wrong");
    await user.click(screen.getByRole("button", { name: "Log in" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("wrong e-mail or password");

    await user.clear(screen.getByLabelText("Password"));
    await user.type(screen.getByLabelText("Password"), "right password");
    await user.click(screen.getByRole("button", { name: "Log in" }));
    await screen.findByRole("heading", { name: "Executions" });
    expect(view.location()).toBe("/executions?status=error");
    expect(screen.getByLabelText("Signed in as")).toHaveTextContent("me@example.com");
  });

  it("a session that expires mid-use goes to log-in, then back to the same page", async () => {
    let loggedIn = false;
    let sessionChecks = 0;
    server = fakeApi({
      "GET /api/setup": () => ({ needs_setup: false }),
      // Valid when the page loads, expired by the time the list is fetched.
      "GET /api/auth/session": () => ({ user: sessionChecks++ === 0 || loggedIn ? owner : null }),
      "GET /api/workflows": () =>
        loggedIn
          ? emptyPage
          : json({ detail: "session expired; log in again", code: "unauthorized", errors: [] }, 401),
      "POST /api/auth/session": () => {
        loggedIn = true;
        return { user: owner, expires_in: 3600 };
      },
    });
    const view = renderApp("/workflows?sort=name");
    await screen.findByRole("heading", { name: "Log in" });
    expect(view.location()).toBe("/login?next=%2Fworkflows%3Fsort%3Dname");
    expect(sessionChecks).toBe(1); // it was the list's 401 that sent us here
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("E-mail"), "me@example.com");
    await user.type(screen.getByLabelText("Password"), "pw");
    await user.click(screen.getByRole("button", { name: "Log in" }));
    await screen.findByRole("heading", { name: "Workflows" });
    expect(view.location()).toBe("/workflows?sort=name");
  });

  it("an instance without users goes to set-up", async () => {
    server = fakeApi({
      "GET /api/setup": () => ({ needs_setup: true }),
      "GET /api/auth/session": () => ({ user: null }),
    });
    const view = renderApp("/workflows");
    await screen.findByRole("heading", { name: "Set up your instance" });
    expect(view.location()).toBe("/setup");
  });

  it("shows the field errors set-up answers with", async () => {
    server = fakeApi({
      "GET /api/setup": () => ({ needs_setup: true }),
      "POST /api/setup": () =>
        json(
          {
            detail: "password: String should have at least 8 characters",
            code: "validation_error",
            errors: [{ field: "password", message: "String should have at least 8 characters" }],
          },
          422,
        ),
    });
    renderApp("/setup");
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText("E-mail"), "me@example.com");
    await user.type(screen.getByLabelText("Password"), "short");
    await user.click(screen.getByRole("button", { name: "Create owner" }));
    await waitFor(() =>
      expect(screen.getByLabelText("Password")).toHaveAccessibleDescription(
        "String should have at least 8 characters",
      ),
    );
  });
});
