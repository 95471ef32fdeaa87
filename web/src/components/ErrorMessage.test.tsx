import { render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { ApiError } from "../api/errors";
import { ErrorMessage, fieldError } from "./ErrorMessage";

describe("ErrorMessage", () => {
  it("shows the detail, every field with its node, and the code", () => {
    const error = new ApiError(422, "nodes[1].params.url: is required (and 1 more)", "validation_error", [
      { field: "nodes[1].params.url", message: "is required", node_id: "fetch" },
      { field: "name", message: "must not be empty" },
    ]);
    render(<ErrorMessage error={error} title="Import failed" />);
    const alert = screen.getByRole("alert");
    expect(alert).toHaveTextContent("Import failed: nodes[1].params.url: is required (and 1 more)");
    const items = within(alert).getAllByRole("listitem");
    expect(items[0]).toHaveTextContent("nodes[1].params.url (node fetch): is required");
    expect(items[1]).toHaveTextContent("name: must not be empty");
    expect(alert).toHaveTextContent("code: validation_error");
  });

  it("renders nothing without an error", () => {
    const { container } = render(<ErrorMessage error={null} />);
    expect(container).toBeEmptyDOMElement();
  });

  it("finds the message for one field, with or without the body. prefix", () => {
    const error = new ApiError(422, "x", "validation_error", [{ field: "body.password", message: "too short" }]);
    expect(fieldError(error, "password")).toBe("too short");
    expect(fieldError(error, "email")).toBeUndefined();
  });
});
