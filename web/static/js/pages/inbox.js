// The inbox: what each row is about, decrypted here; new items every 30 s; search across
// the whole history, in this browser.
//
// - Rows: the page's envelopes come in one request (POST /inbox/envelopes: one audit entry
//   `items.listed`, no status change); each is verified with its author's registered key
//   and decrypted with the practice key this tab holds. A row shows the caller, the reason
//   and a `tel:` "Call back" link, a message's subject, an extract's file name and size;
//   an envelope that fails to verify shows a warning, never an empty cell.
// - Refresh: every `data-refresh-seconds` the first page of the same filters is asked for
//   again (the htmx partial, metadata only). Items deposited since are inserted where they
//   belong, marked "New" and announced politely; nothing else moves, focus stays where it
//   is and the rows the reader is looking at keep their place on the screen.
// - Search: every item of the practice is fetched as ciphertext in batches (each batch one
//   `items.searched` entry, without the query, which never leaves this page), decrypted and
//   indexed in memory (docs/decisions.md, inbox-rows); later searches use the index at once.
import { takeEarly } from "../app/early-rows.js";
import { getJson } from "../app/api.js";
import { fetchListed, fetchSearchBatch, openBatch, openOne } from "../app/envelopes.js";
import { armForm, lang, t } from "../app/form.js";
import { apply as showActions } from "../app/handling.js";
import { loadKeys } from "../app/keystore.js";
import { pageZone, shortTime } from "../app/localdates.js";
import { essentials, formatSize, indexBatch, indexEntry, SearchIndex } from "../app/rowtext.js";
import { formRowNode, setFormPractice } from "../app/forms/rows.js";
import { kindLabel, urgencyLabel } from "../app/signedfields.js";

const section = document.getElementById("inbox");
const tbody = document.getElementById("items");
const announcer = section.querySelector("[data-announce]");
const timeZone = section.dataset.timezone || "UTC";
const MAX_BATCH = 50;
const RESULTS_PER_PAGE = 20;
const SEARCH_BATCH = 500; // vault/items/listing.py SEARCH_BATCH
// This tab's keys; a tab opened from a link may receive them later, from another tab of the
// session or the password prompt (pages/unlock.js), and then refills its rows.
let practiceKey = keyOf(loadKeys());

function keyOf(unlocked) {
  return unlocked && unlocked.practice ? unlocked.practice.secretKey : null;
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function localTime(iso) {
  return shortTime(iso, section.dataset.timezone || pageZone(), lang());
}

const SENTENCES = {
  unverified: {
    fr: "⚠ Cet élément n'a pas pu être vérifié ni déchiffré\u00a0: sa signature ou son contenu ne correspond pas. Ne vous y fiez pas\u00a0; signalez-le à l'administrateur.",
    en: "⚠ This item could not be verified or decrypted: its signature or content does not match. Do not rely on it; report it to the administrator.",
  },
  moved: {
    fr: "⚠ Cet élément n'est pas affiché\u00a0: son enveloppe le désigne comme un autre élément, d'un autre cabinet ou d'un autre auteur.",
    en: "⚠ This item is not shown: its envelope names another item, practice or author.",
  },
  noKeys: {
    fr: "Les clés du cabinet ne sont pas ouvertes dans cet onglet\u00a0: saisissez votre mot de passe ci-dessus pour voir de quoi il s'agit.",
    en: "The practice keys are not open in this tab: enter your password above to see what this is about.",
  },
  failed: {
    fr: "Le contenu n'a pas pu être chargé\u00a0; il le sera au prochain rafraîchissement.",
    en: "The content could not be loaded; it will be at the next refresh.",
  },
};

/** The nodes that say what an item is about: `what` is `essentials(kind, json)`. */
function whatNodes(kind, what) {
  const nodes = [];
  if (kind === "call_note") {
    nodes.push(element("span", "row-caller", what.caller || t({ fr: "(appelant non indiqué)", en: "(caller not given)" })));
    nodes.push(element("span", "row-reason", what.reason || t({ fr: "(motif non indiqué)", en: "(reason not given)" })));
    if (what.tel) {
      const link = element("a", "row-callback");
      link.href = what.tel;
      link.dataset.callback = "";
      link.append(element("span", "", "📞"), ` ${t({ fr: "Rappeler", en: "Call back" })} `);
      link.firstChild.setAttribute("aria-hidden", "true");
      link.append(element("span", "row-number", what.telNumber)); // exactly the number dialled
      nodes.push(link);
      if (what.telRest) nodes.push(element("span", "row-number-rest", what.telRest));
    } else if (what.callback) {
      nodes.push(element("span", "row-number", `${t({ fr: "Numéro", en: "Number" })}\u00a0: ${what.callback}`));
    }
  } else if (kind === "message") {
    nodes.push(element("span", "row-subject", what.subject || t({ fr: "(sans objet)", en: "(no subject)" })));
  } else if (kind === "form") {
    nodes.push(formRowNode(what.json));
  } else {
    const size = what.size === null ? "" : ` · ${formatSize(what.size, lang())}`;
    nodes.push(element("span", "row-file", what.name || t({ fr: "(fichier sans nom)", en: "(unnamed file)" })), size);
  }
  return nodes;
}

/** The row's essentials from an opened envelope (textContent only: nothing is parsed as HTML). */
function essentialsNodes(opened) {
  if (!opened.ok) return [element("span", "row-warning", t(SENTENCES[opened.reason]))];
  const kind = opened.signed.kind;
  const what = essentials(kind, opened.json);
  const nodes = [];
  if (opened.differs.some((f) => f === "kind" || f === "urgency")) {
    nodes.push(
      element(
        "span",
        "row-warning",
        t({
          fr: `⚠ Le registre du serveur ne correspond pas à ce que l'auteur a signé\u00a0: ${kindLabel(kind, "fr")}, urgence ${urgencyLabel(opened.signed.urgency, "fr").toLowerCase()} (valeurs signées).`,
          en: `⚠ The server's record does not match what the author signed: ${kindLabel(kind, "en")}, ${urgencyLabel(opened.signed.urgency, "en").toLowerCase()} urgency (signed values).`,
        }),
      ),
    );
  }
  nodes.push(...whatNodes(kind, what));
  return nodes;
}

function showOpened(row, opened) {
  const cell = row.querySelector("[data-essentials]");
  cell.replaceChildren(...essentialsNodes(opened));
  row.dataset.essentials = opened.ok ? "shown" : "unreadable";
  if (opened.ok) {
    row.dataset.signedKind = opened.signed.kind;
    row.dataset.signedUrgency = opened.signed.urgency;
    if (opened.signed.urgency === "urgent" && !row.classList.contains("row-urgent")) {
      row.classList.add("row-urgent"); // signed urgent although the server's record says not
    }
    const link = row.querySelector("[data-open-link] .visually-hidden");
    const about = opened.json.caller_name || opened.json.subject || opened.json.name;
    if (link && typeof about === "string" && about) link.textContent = ` · ${kindLabel(opened.signed.kind, lang())} · ${about}`;
  }
}

function unfilledRows(root = tbody) {
  return [...root.querySelectorAll("[data-item-row]:not([data-essentials])")];
}

/** Decrypt the essentials of `rows`: one request (one audit entry) for each 50 rows. */
async function fill(rows) {
  if (!practiceKey) {
    for (const row of rows) {
      row.querySelector("[data-essentials]").replaceChildren(element("span", "row-warning", t(SENTENCES.noKeys)));
      row.dataset.essentials = "locked";
    }
    return [];
  }
  for (const row of rows) row.dataset.essentials = "pending"; // asked for once
  const opened = [];
  for (let start = 0; start < rows.length; start += MAX_BATCH) {
    const slice = rows.slice(start, start + MAX_BATCH);
    let answer;
    try {
      const ids = slice.map((r) => r.dataset.itemId);
      answer = await (takeEarly(ids) ?? fetchListed(ids));
    } catch {
      for (const row of slice) {
        row.querySelector("[data-essentials]").replaceChildren(element("span", "row-warning", t(SENTENCES.failed)));
        delete row.dataset.essentials; // the next refresh asks again
      }
      continue;
    }
    const byId = new Map(slice.map((r) => [r.dataset.itemId, r]));
    setFormPractice(answer.practice_id);
    for (const item of openBatch(answer, practiceKey)) {
      const row = byId.get(item.id);
      if (row) showOpened(row, item);
      opened.push({ item, answer });
    }
  }
  if (tbody.querySelector("[data-item-row]")) section.dataset.rowsReady = "true";
  return opened;
}

// ---- urgent count: navigation, summary and title ----

function plural(n, one, many) {
  return n === 1 ? one : many;
}

function showUrgent(count) {
  const words = t({
    fr: plural(count, `${count} élément urgent`, `${count} éléments urgents`),
    en: plural(count, `${count} urgent item`, `${count} urgent items`),
  });
  for (const badge of document.querySelectorAll("[data-nav-urgent]")) {
    badge.dataset.count = String(count);
    badge.hidden = count === 0;
    const text = badge.querySelector("[data-nav-urgent-text]");
    if (text) text.textContent = words;
  }
  const summary = section.querySelector("[data-urgent-summary]");
  summary.hidden = count === 0;
  summary.querySelector("[data-urgent-summary-text]").textContent = t({
    fr: plural(count, `${count} élément urgent non traité.`, `${count} éléments urgents non traités.`),
    en: plural(count, `${count} urgent item not handled yet.`, `${count} urgent items not handled yet.`),
  });
  const base = `${section.dataset.title} · Permanence`;
  document.title = count > 0 ? `(${words}) ${base}` : base;
}

// ---- refresh ----

function newestSeen() {
  let newest = "";
  for (const row of tbody.querySelectorAll("[data-item-row]")) {
    const at = new Date(row.dataset.deposited).toISOString();
    if (at > newest) newest = at;
  }
  return newest;
}

let seen = newestSeen();

/** The first row whose bottom is on screen, and where its top is. */
function anchor() {
  for (const row of tbody.querySelectorAll("[data-item-row]")) {
    const box = row.getBoundingClientRect();
    if (box.bottom > 0) return { row, top: box.top };
  }
  return null;
}

/** Let htmx wire what a refresh inserted (the status cell's buttons, if any). */
function wire(node) {
  if (window.htmx) window.htmx.process(node);
  showActions(node); // its handling buttons, once this tab can read the items
}

function updateStatus(row, fresh) {
  if (row.dataset.status === fresh.dataset.status) return;
  const cell = row.querySelector("[data-handling-cell]");
  const freshCell = fresh.querySelector("[data-handling-cell]");
  if (!cell || !freshCell || cell.contains(document.activeElement)) return; // in use: next time
  const copy = document.importNode(freshCell, true);
  cell.replaceWith(copy);
  wire(copy);
  row.dataset.status = fresh.dataset.status;
}

function placeNew(row, freshRows, index) {
  for (const later of freshRows.slice(index + 1)) {
    const existing = tbody.querySelector(`[data-item-row][data-item-id="${later.dataset.itemId}"]`);
    if (existing) {
      existing.before(row);
      return;
    }
  }
  const more = tbody.querySelector("[data-more-row]");
  if (more) more.before(row);
  else tbody.append(row);
}

function markArrived(row) {
  row.classList.add("row-arrived");
  row.dataset.arrived = "true";
  const badge = element("strong", "new-badge", t({ fr: "Nouveau", en: "New" }));
  badge.dataset.newBadge = "";
  row.querySelector(".row-what").prepend(badge, " ");
}

let refreshing = false;

async function refresh() {
  if (refreshing) return;
  refreshing = true;
  try {
    const params = new URLSearchParams(location.search);
    params.delete("after");
    const response = await fetch(`/inbox?${params}`, {
      credentials: "same-origin",
      headers: { "HX-Request": "true", Accept: "text/html" },
    });
    if (!response.ok) return;
    const template = document.createElement("template");
    template.innerHTML = await response.text();
    const freshRows = [...template.content.querySelectorAll("[data-item-row]")];
    const arrived = [];
    const place = anchor();
    const scrolled = window.scrollY > 0;
    freshRows.forEach((fresh, index) => {
      const existing = tbody.querySelector(`[data-item-row][data-item-id="${fresh.dataset.itemId}"]`);
      if (existing) {
        updateStatus(existing, fresh);
      } else if (new Date(fresh.dataset.deposited).toISOString() > seen) {
        const row = document.importNode(fresh, true);
        placeNew(row, freshRows, index);
        wire(row);
        markArrived(row);
        arrived.push(row);
      }
    });
    const empty = tbody.querySelector("tr:not([data-item-row]):not([data-more-row])");
    if (arrived.length > 0 && empty) empty.remove();
    if (place && scrolled) {
      const moved = place.row.getBoundingClientRect().top - place.top;
      if (moved !== 0) window.scrollBy(0, moved); // keep the reader's rows where they were
    }
    if (arrived.length > 0) {
      seen = newestSeen();
      const urgent = arrived.filter((r) => r.dataset.urgency === "urgent").length;
      announcer.textContent = t({
        fr: `${plural(arrived.length, "1 nouvel élément", `${arrived.length} nouveaux éléments`)}${urgent ? `, dont ${urgent} urgent${urgent > 1 ? "s" : ""}` : ""}.`,
        en: `${plural(arrived.length, "1 new item", `${arrived.length} new items`)}${urgent ? `, ${urgent} urgent` : ""}.`,
      });
      const opened = await fill(arrived);
      if (index) for (const { item, answer } of opened) addToIndex(item, answer);
    }
    const retry = unfilledRows();
    if (retry.length > 0) await fill(retry);
    const count = await getJson("/inbox/urgent");
    showUrgent(Number(count.urgent) || 0);
  } catch {
    // Offline for a moment: the next refresh tries again.
  } finally {
    refreshing = false;
  }
}

function startRefreshing() {
  const seconds = Math.min(Math.max(Number(section.dataset.refreshSeconds) || 30, 1), 30);
  const tick = () => {
    refresh().finally(() => setTimeout(tick, seconds * 1000));
  };
  setTimeout(tick, seconds * 1000);
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) refresh();
  });
}

// ---- search ----

const form = document.getElementById("search-form");
const status = form.querySelector("[data-status]");
const progress = form.querySelector("[data-search-progress]");
const results = section.querySelector("[data-search-results]");
const resultList = results.querySelector("[data-result-list]");
const pageLabel = results.querySelector("[data-result-page]");
const previous = results.querySelector("[data-result-previous]");
const next = results.querySelector("[data-result-next]");
let index = null;
let building = null;
let unreadable = 0;
let found = [];
let page = 0;

/** An item decrypted for its row (a new arrival) joins an index already built. */
function addToIndex(opened, answer) {
  if (!opened.ok) return;
  index.add(indexEntry(opened, answer.items.find((i) => i.item_id === opened.id)));
}

function yieldToPage() {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * Decrypting a long history is spread over workers (one batch each, as many as the
 * machine has cores, at most 4); a short one, or a browser without module workers, is
 * decrypted here, yielding to the page between batches.
 */
function decrypters(total) {
  const cores = Math.min(Math.max(navigator.hardwareConcurrency || 1, 1), 4);
  const off = section.dataset.searchWorkers === "0"; // bench/bench_inbox.py's comparison
  if (off || total <= SEARCH_BATCH || typeof Worker === "undefined") return [];
  const made = [];
  try {
    for (let i = 0; i < cores; i += 1) {
      const worker = new Worker(new URL("../app/search-worker.js", import.meta.url), { type: "module" });
      worker.ready = new Promise((resolve, reject) => {
        worker.addEventListener("message", (event) => event.data.ready && resolve(), { once: true });
        worker.addEventListener("error", reject, { once: true });
      });
      made.push(worker);
    }
  } catch {
    for (const w of made) w.terminate();
    return [];
  }
  return made;
}

let jobs = 0;

async function inWorker(worker, answer) {
  await worker.ready;
  const job = (jobs += 1);
  return new Promise((resolve, reject) => {
    const listen = (event) => {
      if (event.data.job !== job) return;
      worker.removeEventListener("message", listen);
      if (event.data.error) reject(new Error(event.data.error));
      else resolve(event.data);
    };
    worker.addEventListener("message", listen);
    worker.addEventListener("error", reject, { once: true });
    worker.postMessage({ job, answer, practiceKey });
  });
}

async function decrypt(workers, turn, answer) {
  if (workers.length > 0) {
    try {
      return await inWorker(workers[turn % workers.length], answer);
    } catch {
      // A worker that failed (its libsodium did not load): this batch is done here.
    }
  }
  await yieldToPage();
  return indexBatch(answer, practiceKey, openOne);
}

/** Fetch, verify, decrypt and index every item of the practice, newest first. */
async function buildIndex() {
  const started = performance.now();
  const built = new SearchIndex();
  index = built;
  progress.hidden = false;
  progress.removeAttribute("value"); // indeterminate until the total is known
  let pending = fetchSearchBatch(null);
  let total = null;
  let done = 0;
  let workers = null;
  const running = [];
  const report = () => {
    if (total) {
      progress.max = total;
      progress.value = done;
    }
    status.textContent = t({
      fr: `Préparation de la recherche\u00a0: ${done.toLocaleString("fr-FR")}${total ? ` sur ${total.toLocaleString("fr-FR")}` : ""} éléments déchiffrés…`,
      en: `Preparing the search: ${done.toLocaleString("en-GB")}${total ? ` of ${total.toLocaleString("en-GB")}` : ""} items decrypted…`,
    });
  };
  try {
    for (let turn = 0; ; turn += 1) {
      const answer = await pending;
      if (typeof answer.total === "number") total = answer.total;
      if (workers === null) workers = decrypters(total ?? 0);
      if (answer.next) pending = fetchSearchBatch(answer.next); // the next batch downloads meanwhile
      const count = answer.items.length;
      running.push(
        decrypt(workers, turn, answer).then((batch) => {
          for (const entry of batch.entries) built.add(entry);
          unreadable += batch.unreadable;
          done += count;
          report();
        }),
      );
      if (!answer.next) break;
      // Never more batches in memory than the decrypters can take next.
      if (running.length >= 2 * Math.max(workers.length, 1)) await running.shift();
    }
    await Promise.all(running);
  } finally {
    for (const w of workers ?? []) w.terminate();
  }
  progress.hidden = true;
  section.dataset.indexMs = String(Math.round(performance.now() - started));
  section.dataset.indexSize = String(built.size);
  return built;
}

function resultNode(entry) {
  const li = element("li", entry.urgency === "urgent" ? "result result-urgent" : "result");
  li.dataset.resultId = entry.id;
  const link = element("a", "", `${kindLabel(entry.kind, lang())} · ${localTime(entry.at)}`);
  link.href = `/items/${entry.id}`;
  li.append(link);
  if (entry.urgency === "urgent") {
    const badge = element("strong", "urgent-badge");
    badge.append(element("span", "", "⚠"), ` ${urgencyLabel("urgent", lang())}`);
    badge.firstChild.setAttribute("aria-hidden", "true");
    li.append(" ", badge);
  }
  const about = element("div", "row-essentials");
  about.append(...whatNodes(entry.kind, entry.what));
  li.append(about);
  return li;
}

function showPage() {
  const pages = Math.max(1, Math.ceil(found.length / RESULTS_PER_PAGE));
  page = Math.min(Math.max(page, 0), pages - 1);
  resultList.replaceChildren(
    ...found.slice(page * RESULTS_PER_PAGE, (page + 1) * RESULTS_PER_PAGE).map(resultNode),
  );
  resultList.start = page * RESULTS_PER_PAGE + 1;
  pageLabel.textContent = t({ fr: `Page ${page + 1} sur ${pages}`, en: `Page ${page + 1} of ${pages}` });
  previous.disabled = page === 0;
  next.disabled = page >= pages - 1;
  results.hidden = found.length === 0;
}

previous.addEventListener("click", () => {
  page -= 1;
  showPage();
});
next.addEventListener("click", () => {
  page += 1;
  showPage();
});

armForm(form, async () => {
  const query = form.elements.q.value;
  if (!query.trim()) {
    found = [];
    showPage();
    status.textContent = "";
    return;
  }
  if (!practiceKey) {
    status.textContent = t({
      fr: "Les clés du cabinet ne sont pas ouvertes dans cet onglet\u00a0: saisissez votre mot de passe ci-dessus pour chercher.",
      en: "The practice keys are not open in this tab: enter your password above to search.",
    });
    return;
  }
  const started = performance.now();
  try {
    if (!building) building = buildIndex();
    await building;
  } catch {
    building = null;
    progress.hidden = true;
    status.textContent = t({
      fr: "La recherche n'a pas pu être préparée (connexion\u00a0?)\u00a0; réessayez.",
      en: "The search could not be prepared (connection?); try again.",
    });
    return;
  }
  found = index.search(query);
  page = 0;
  showPage();
  const ms = Math.round(performance.now() - started);
  section.dataset.searchMs = String(ms);
  const skipped = unreadable
    ? t({
        fr: ` ${unreadable} élément(s) illisible(s) n'ont pas été cherchés.`,
        en: ` ${unreadable} unreadable item(s) were not searched.`,
      })
    : "";
  status.textContent =
    t({
      fr: `${plural(found.length, "1 élément trouvé", `${found.length} éléments trouvés`)} parmi ${index.size.toLocaleString("fr-FR")}.`,
      en: `${plural(found.length, "1 item found", `${found.length} items found`)} among ${index.size.toLocaleString("en-GB")}.`,
    }) + skipped;
  status.dataset.done = String(Number(status.dataset.done || 0) + 1);
});

// ---- start ----

fill(unfilledRows()).then(() => {
  // Milliseconds from navigation to every row of the page filled (bench/bench_inbox.py).
  section.dataset.rowsMs = String(Math.round(performance.now()));
  section.dataset.rowsReady = "true";
});
document.body.addEventListener("htmx:afterSettle", () => {
  const rows = unfilledRows();
  if (rows.length > 0) fill(rows);
});
startRefreshing();
document.addEventListener("permanence:keys-opened", () => {
  if (practiceKey) return;
  practiceKey = keyOf(loadKeys());
  if (!practiceKey) return;
  const locked = [...tbody.querySelectorAll('[data-item-row][data-essentials="locked"]')];
  for (const row of locked) delete row.dataset.essentials;
  fill(locked);
});
