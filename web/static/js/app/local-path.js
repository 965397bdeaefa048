// Where a sign-in may send the browser next: a path on this site only. The same rule as
// web/local_path.py, checked against the same cases (tests/web/local_paths.json):
// 1 to MAX_LOCAL_PATH characters, starting with "/" but not "//" nor "/\", printable ASCII
// only ("!" to "~") and no backslash anywhere. Browsers drop tabs and line breaks from a
// URL and read "\" as "/", so "/<TAB>/evil.example" would otherwise lead to another site.

export const MAX_LOCAL_PATH = 2048;

/** `target` if it is a path on this site, else null. */
export function localPath(target) {
  if (typeof target !== "string" || target.length < 1 || target.length > MAX_LOCAL_PATH) {
    return null;
  }
  if (target[0] !== "/" || target[1] === "/" || target[1] === "\\") return null;
  for (const ch of target) {
    if (ch < "!" || ch > "~" || ch === "\\") return null;
  }
  return target;
}
