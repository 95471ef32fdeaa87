/** Every API error body: {detail, code, errors: [{field, message, node_id}]}. */
export interface FieldError {
  field: string;
  message: string;
  node_id?: string | null;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly errors: FieldError[];

  constructor(status: number, detail: string, code: string, errors: FieldError[] = []) {
    super(detail);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.errors = errors;
  }

  /** Build from a response status and whatever body it had (JSON error body or not). */
  static from(status: number, body: unknown): ApiError {
    if (body && typeof body === "object" && "detail" in body) {
      const b = body as { detail: unknown; code?: unknown; errors?: unknown };
      const detail = typeof b.detail === "string" ? b.detail : JSON.stringify(b.detail);
      const code = typeof b.code === "string" ? b.code : "error";
      const errors = Array.isArray(b.errors) ? b.errors.filter(isFieldError) : [];
      return new ApiError(status, detail, code, errors);
    }
    const text = typeof body === "string" && body.trim() ? body.trim().slice(0, 300) : "";
    return new ApiError(status, text || `request failed (HTTP ${status})`, "http_error");
  }
}

function isFieldError(value: unknown): value is FieldError {
  return (
    !!value &&
    typeof value === "object" &&
    typeof (value as FieldError).field === "string" &&
    typeof (value as FieldError).message === "string"
  );
}

/** Any thrown value as an ApiError-like shape for display. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof Error) return new ApiError(0, error.message, "client_error");
  return new ApiError(0, String(error), "client_error");
}
