"""What every page must pass in real Chromium, at phone and desktop sizes: ``check_page(page)``.

- **No horizontal scroll**: ``document.documentElement.scrollWidth <= innerWidth``.
- **Every control reachable**: each visible control (link, button, field, ``summary``,
  anything with ``tabindex >= 0``) lies within the viewport's width, and pressing Tab
  from the top of the page focuses every one of them, in the order of the document
  (one stop per radio group, as browsers do).
- **Targets of at least 44 x 44 CSS px** on a narrow viewport (``PHONE_WIDTH`` or less):
  a checkbox or radio button counts with its label, a link inside a sentence is exempt
  (WCAG 2.5.5's "inline" exception).
- **Looks** (the visual defects of issue 12): typed text not bold, radio buttons and
  checkboxes before their words, no default-blue links, no empty table header cell, no
  two links of the same name to different places.
- **axe-core** (vendored for the tests only under ``tests/vendor/``, never served): no
  violation of impact "serious" or "critical".

The same checks run again with every ``<details>`` opened (the menu, folded filters), so
what a closed menu hides is checked too. Other branches call ``check_page`` from their
own browser tests once their page is in the state they want checked.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

AXE = Path(__file__).resolve().parents[1] / "vendor" / "axe-core" / "axe.min.js"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1366, "height": 768}
PHONE_WIDTH = 480
MIN_TARGET = 44
BLOCKING_IMPACTS = ("serious", "critical")
TAB_LIMIT = 400

# Controls a person can reach, in document order, as the browser sees them. ``key`` names
# one Tab stop: a radio group is one stop (keyed by its name), anything else itself.
_CONTROLS_JS = """
() => {
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary,'
    + ' [tabindex]';
  const visible = (el) => {
    if (el.closest('[hidden], [inert]')) return false;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none') return false;
    const closedDetails = el.parentElement && el.parentElement.closest('details:not([open])');
    if (closedDetails && el !== closedDetails.querySelector(':scope > summary')) return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };
  const inSentence = (el) => {
    if (el.tagName !== 'A') return false;
    const block = el.closest('p, li, dd, td, .hint');
    if (!block || block.closest('nav')) return false;
    const text = block.textContent.replace(/\\s+/g, ' ').trim();
    return text.length > el.textContent.replace(/\\s+/g, ' ').trim().length + 1;
  };
  const describe = (el) => {
    const id = el.id ? '#' + el.id : '';
    const text = (el.innerText || el.value || el.getAttribute('aria-label') || el.name || '')
      .replace(/\\s+/g, ' ').trim().slice(0, 40);
    return el.tagName.toLowerCase() + id + (text ? ' "' + text + '"' : '');
  };
  const controls = [];
  document.querySelectorAll(selector).forEach((el, index) => {
    if (el.disabled || el.getAttribute('tabindex') === '-1' || !visible(el)) return;
    if (el.tagName === 'SUMMARY' && el.parentElement.tagName !== 'DETAILS') return;
    let box = el.getBoundingClientRect();
    const type = (el.getAttribute('type') || '').toLowerCase();
    if (el.tagName === 'INPUT' && (type === 'checkbox' || type === 'radio')) {
      const label = el.closest('label')
        || (el.id && document.querySelector(`label[for="${el.id}"]`));
      if (label) box = label.getBoundingClientRect();
    }
    const key = type === 'radio' && el.name ? 'radio:' + (el.form ? el.form.id : '') + el.name
      : 'el:' + index;
    el.dataset.checkKey = key;
    controls.push({
      key, name: describe(el), left: box.left, right: box.right,
      width: box.width, height: box.height, inline: inSentence(el),
    });
  });
  return controls;
}
"""

_ACTIVE_KEY_JS = """
() => {
  let el = document.activeElement;
  while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
  if (!el || el === document.body) return null;
  const tag = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '');
  return el.dataset.checkKey || ('unlisted ' + tag);
}
"""


# The visual defects of issue 12, checked on every page: what is typed in a field is not
# bold; a radio button or checkbox sits before its words, on their line; links are not the
# browser's default blue or purple; no table header cell is empty; links with the same name
# lead to the same place (18 "Open" links each need a name of their own).
_LOOKS_JS = """
() => {
  const shown = (el) => !el.closest('[hidden]') && el.getClientRects().length > 0
    && getComputedStyle(el).visibility !== 'hidden';
  const words = (el) => (el.getAttribute('aria-label') || el.textContent || '')
    .replace(/\\s+/g, ' ').trim();
  const problems = [];
  document.querySelectorAll('input:not([type=hidden]), select, textarea').forEach((el) => {
    if (!shown(el)) return;
    const weight = parseInt(getComputedStyle(el).fontWeight, 10);
    const what = el.name || el.id || el.tagName;
    if (weight >= 600) problems.push(`${what} is typed in bold (${weight})`);
  });
  const choices = 'label input[type=radio], label input[type=checkbox]';
  document.querySelectorAll(choices).forEach((el) => {
    if (!shown(el)) return;
    const label = el.closest('label');
    const range = document.createRange();
    const text = [...label.childNodes].find((n) => n.nodeType === 3 && n.textContent.trim());
    if (!text) return;
    range.selectNodeContents(text);
    const t = [...range.getClientRects()].find((r) => r.width > 0);
    const box = el.getBoundingClientRect();
    if (!t) return;
    const sameLine = box.top < t.bottom && box.bottom > t.top;
    if (!sameLine || box.right > t.left + 1) {
      problems.push(`the ${el.type} "${words(label)}" is not before its words on their line`);
    }
  });
  const defaults = ['rgb(0, 0, 238)', 'rgb(85, 26, 139)', 'rgb(0, 0, 255)'];
  document.querySelectorAll('a[href]').forEach((el) => {
    const color = getComputedStyle(el).color;
    if (shown(el) && defaults.includes(color)) {
      problems.push(`the link "${words(el)}" is the browser's default ${color}`);
    }
  });
  document.querySelectorAll('th').forEach((el, i) => {
    if (!words(el)) problems.push(`table header cell ${i + 1} is empty`);
  });
  const targets = new Map();
  document.querySelectorAll('a[href]').forEach((el) => {
    if (!shown(el)) return;
    const name = words(el);
    const href = el.getAttribute('href');
    if (!targets.has(name)) targets.set(name, new Set());
    targets.get(name).add(href);
  });
  targets.forEach((hrefs, name) => {
    if (hrefs.size > 1) {
      problems.push(`${hrefs.size} links named "${name}" lead to different places`);
    }
  });
  return problems;
}
"""


@dataclass
class Findings:
    """What a page failed; empty lists mean it passed."""

    url: str
    width: int
    scroll_width: int
    overflow: list[str] = field(default_factory=list)
    unreachable: list[str] = field(default_factory=list)
    small: list[str] = field(default_factory=list)
    axe: list[str] = field(default_factory=list)
    looks: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        return [*self.overflow, *self.unreachable, *self.small, *self.axe, *self.looks]


@cache
def _axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def scroll_width(page: Page) -> int:
    """The page's width as laid out (what scrolls sideways if above the viewport's)."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert isinstance(width, int)
    return width


def overflow(page: Page) -> list[str]:
    """The widest elements sticking out of the viewport, if the page scrolls sideways."""
    inner = page.evaluate("innerWidth")
    width = scroll_width(page)
    if width <= inner:
        return []
    culprits = page.evaluate(
        """(inner) => [...document.body.querySelectorAll('*')]
          .filter((el) => el.getBoundingClientRect().right > inner + 0.5)
          .filter((el) => ![...el.children].some((c) => c.getBoundingClientRect().right
                                                       >= el.getBoundingClientRect().right))
          .slice(0, 5)
          .map((el) => el.tagName.toLowerCase() + (el.className ? '.' + el.className : '')
               + ' right=' + Math.round(el.getBoundingClientRect().right))""",
        inner,
    )
    return [f"page is {width} px wide in a {inner} px viewport: {', '.join(culprits)}"]


def controls(page: Page) -> list[dict[str, Any]]:
    found = page.evaluate(_CONTROLS_JS)
    assert isinstance(found, list)
    return found


def tab_order(page: Page, limit: int = TAB_LIMIT) -> list[str]:
    """The keys of the controls Tab focuses, from the top of the page until it wraps."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.evaluate("window.scrollTo(0, 0)")
    # Focus starts from the document: the first Tab goes to the first control.
    page.locator("body").evaluate("(b) => { b.setAttribute('tabindex', '-1'); b.focus(); }")
    page.locator("body").evaluate("(b) => b.removeAttribute('tabindex')")
    seen: list[str] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        key = page.evaluate(_ACTIVE_KEY_JS)
        if key is None or (seen and key == seen[0]):
            break
        if not seen or seen[-1] != key:
            seen.append(str(key))
    return seen


def reachability(page: Page, listed: list[dict[str, Any]]) -> list[str]:
    """Controls outside the viewport's width, or not focused by Tab, or out of order."""
    inner = page.evaluate("innerWidth")
    problems = [
        f"{c['name']} is outside the viewport ({c['left']:.0f}..{c['right']:.0f} of {inner})"
        for c in listed
        if c["left"] < -0.5 or c["right"] > inner + 0.5
    ]
    expected = list(dict.fromkeys(c["key"] for c in listed))
    names = {c["key"]: c["name"] for c in listed}
    focused = [key for key in tab_order(page) if key in names]
    missing = [key for key in expected if key not in focused]
    problems += [f"{names[key]} is not reached by Tab" for key in missing]
    reached = [key for key in expected if key in focused]
    if not missing and focused[: len(reached)] != reached:
        problems.append(
            "Tab order differs from the document's: "
            + ", ".join(names[k] for k in focused[:12] if k in names)
        )
    return problems


def small_targets(listed: list[dict[str, Any]]) -> list[str]:
    return [
        f"{c['name']} is {c['width']:.0f}x{c['height']:.0f} px (under {MIN_TARGET})"
        for c in listed
        if not c["inline"] and (c["width"] < MIN_TARGET - 0.5 or c["height"] < MIN_TARGET - 0.5)
    ]


def axe_violations(page: Page, impacts: tuple[str, ...] = BLOCKING_IMPACTS) -> list[str]:
    """axe-core's violations of the given impacts, one line each (rule, impact, targets)."""
    if not page.evaluate("typeof window.axe === 'object'"):
        # Evaluated by the DevTools protocol, so the page's CSP (no inline script) allows it.
        page.evaluate(_axe_source() + "\n;0")
    result = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map((v) => ({id: v.id, impact: v.impact, help: v.help,"
        " targets: v.nodes.slice(0, 4).map((n) => n.target.join(' '))}))"
    )
    return [
        f"axe {v['impact']} {v['id']}: {v['help']} — {json.dumps(v['targets'])}"
        for v in result
        if v["impact"] in impacts
    ]


def open_every_details(page: Page) -> bool:
    """Open every ``<details>``; True if there was one to open."""
    opened = page.evaluate(
        "() => { const d = [...document.querySelectorAll('details:not([open])')];"
        " d.forEach((e) => { e.open = true; }); return d.length; }"
    )
    return bool(opened)


def findings(page: Page, *, axe: bool = True) -> Findings:
    """Run every check on the page as it is, then again with its ``<details>`` opened."""
    inner = page.evaluate("innerWidth")
    found = Findings(page.url, inner, scroll_width(page))
    phone = inner <= PHONE_WIDTH
    for opened in (False, True):
        if opened and not open_every_details(page):
            break
        suffix = " (details opened)" if opened else ""
        listed = controls(page)
        found.overflow += [p + suffix for p in overflow(page)]
        found.unreachable += [p + suffix for p in reachability(page, listed)]
        if phone:
            found.small += [p + suffix for p in small_targets(listed)]
        if axe:
            found.axe += [p + suffix for p in axe_violations(page)]
        found.looks += [p + suffix for p in page.evaluate(_LOOKS_JS)]
    found.looks = list(dict.fromkeys(found.looks))
    found.overflow = list(dict.fromkeys(found.overflow))
    found.unreachable = list(dict.fromkeys(found.unreachable))
    found.small = list(dict.fromkeys(found.small))
    found.axe = list(dict.fromkeys(found.axe))
    return found


def check_page(page: Page, *, axe: bool = True) -> None:
    """Assert the page passes every check above (the message lists each failure)."""
    found = findings(page, axe=axe)
    log = os.environ.get("PAGE_CHECKS_LOG")  # optional: a file to note each page's width in
    if log:
        with Path(log).open("a", encoding="utf-8") as out:
            out.write(f"{found.url}\t{found.width}\t{found.scroll_width}\n")
    problems = found.problems()
    assert not problems, f"{found.url} at {found.width} px:\n  " + "\n  ".join(problems)
