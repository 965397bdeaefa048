// Requests that survive a dropped connection: `send` (app/api.js) retried with backoff on
// network errors (never on a refusal, which has a sentence to show).
import { ApiError } from "./api.js";

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

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
