// Requests that survive a dropped connection: JSON and binary bodies with the CSRF token,
// retried with backoff on network errors (never on a refusal, which has a sentence to show).
import { ApiError } from "./api.js";

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** One request; JSON answer, or ApiError with the server's sentence. */
export async function send(method, url, body, contentType = "application/json") {
  const headers = { Accept: "application/json", "X-CSRF-Token": csrfToken() };
  if (body !== undefined) headers["Content-Type"] = contentType;
  const response = await fetch(url, {
    method,
    credentials: "same-origin",
    headers,
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
    throw new ApiError(message, response.status);
  }
  return data;
}

/** Retry `fn` on network failures (TypeError from fetch), up to `attempts` times. */
export async function withRetry(fn, attempts = 8) {
  let last;
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof ApiError) throw error;
      last = error;
      await sleep(Math.min(250 * 2 ** attempt, 8000));
    }
  }
  throw last;
}
