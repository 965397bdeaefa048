// Talking to the server from the page modules: same-origin JSON with the CSRF token.

export class ApiError extends Error {
  constructor(message, status, field) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.field = field; // the form field the refusal is about, if the server named one
  }
}

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

/**
 * One request, same-origin with the CSRF token; the JSON answer, or ApiError with the
 * server's sentence. `body` goes as JSON unless another `contentType` is named (a Blob is
 * sent as it is). `signal` aborts it.
 */
export async function send(method, url, body, contentType = "application/json", { signal } = {}) {
  const headers = { Accept: "application/json", "X-CSRF-Token": csrfToken() };
  if (body !== undefined) headers["Content-Type"] = contentType;
  const response = await fetch(url, {
    method,
    credentials: "same-origin",
    headers,
    signal,
    body: body === undefined ? undefined : contentType === "application/json" ? JSON.stringify(body) : body,
  });
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const message = data && typeof data.error === "string" ? data.error : response.statusText;
    const field = data && typeof data.field === "string" ? data.field : undefined;
    throw new ApiError(message, response.status, field);
  }
  return data;
}

/** POST `data` as JSON; return the JSON answer, or throw ApiError with the server's sentence. */
export function postJson(url, data) {
  return send("POST", url, data);
}

export function getJson(url) {
  return send("GET", url);
}
