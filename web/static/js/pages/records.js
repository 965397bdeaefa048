// A form template's records (docs/items.md "Forms"): the practice's templates opened under the
// team key, the chosen template's forms fetched in batches (POST /inbox/search with the
// template: one items.searched entry a batch), each verified and decrypted here with the
// practice key, shown as a table, searched here (the words never leave the page) and
// exported as a CSV file made here for French Excel (app/forms/records.js).
import { fetchSearchBatchOf } from "../app/forms/fetch.js";
import { openBatch } from "../app/envelopes.js";
import { t } from "../app/form.js";
import { latestVersion, loadTemplates, readFormBody } from "../app/forms/index.js";
import { csvBytes, matchesAll, recordsTable } from "../app/forms/records.js";
import { pageZone } from "../app/localdates.js";
import { fold, queryWords } from "../app/rowtext.js";
import { keysForThisPage } from "../app/unlock-prompt.js";

const section = document.getElementById("records");
const practiceId = section.dataset.practiceId;
const timeZone = section.dataset.timezone || pageZone();
const status = section.querySelector("[data-records-status]");
const error = section.querySelector("[data-records-error]");
const select = section.querySelector("[data-records-template]");
const search = section.querySelector("[data-records-search]");
const exportButton = section.querySelector("[data-records-export]");
const save = section.querySelector("[data-records-save]");
const count = section.querySelector("[data-records-count]");
const region = section.querySelector("[data-records-region]");
const table = section.querySelector("[data-records-table]");

let templates = { templates: [] };
let practiceKey = null;
let shown = null; // {template, header, rows, trs}
let generation = 0;

function el(tag, text) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  return node;
}

function showTable(template, header, rows, ids) {
  const head = el("tr");
  for (const label of header) {
    const th = el("th", label);
    th.scope = "col";
    head.append(th);
  }
  const open = el("th", t({ fr: "Fiche", en: "Record" }));
  open.scope = "col";
  head.append(open);
  const thead = el("thead");
  thead.append(head);
  const tbody = el("tbody");
  const trs = rows.map((cells, n) => {
    const tr = el("tr");
    tr.dataset.itemId = ids[n];
    cells.forEach((cell, c) => {
      const td = el("td", cell);
      td.className = "pre";
      td.dataset.label = header[c];
      tr.append(td);
    });
    const link = el("a", t({ fr: "Ouvrir", en: "Open" }));
    link.href = `/items/${ids[n]}`;
    link.setAttribute("aria-label", `${t({ fr: "Ouvrir la fiche", en: "Open the record" })} ${n + 1}`);
    const td = el("td");
    td.append(link);
    tr.append(td);
    tr._text = fold(cells.join("\n"));
    tbody.append(tr);
    return tr;
  });
  table.replaceChildren(thead, tbody);
  region.hidden = false;
  shown = { template, header, rows, trs };
  filter();
}

function filter() {
  if (!shown) return;
  const words = queryWords(search.value);
  let visible = 0;
  for (const tr of shown.trs) {
    tr.hidden = !matchesAll(tr._text, words);
    if (!tr.hidden) visible += 1;
  }
  count.textContent = words.length
    ? t({ fr: `${visible} fiche(s) sur ${shown.trs.length} contiennent ces mots.`, en: `${visible} of ${shown.trs.length} records hold these words.` })
    : t({ fr: `${shown.trs.length} fiche(s).`, en: `${shown.trs.length} record(s).` });
  section.dataset.visible = String(visible);
  save.hidden = true;
}

async function showTemplate(id) {
  const mine = ++generation;
  const template = templates.templates.find((x) => x.id === id);
  shown = null;
  table.replaceChildren();
  region.hidden = true;
  exportButton.disabled = true;
  save.hidden = true;
  delete section.dataset.ready;
  if (!template) return;
  history.replaceState(null, "", `#template=${id}`);
  status.textContent = t({ fr: "Déchiffrement des fiches…", en: "Decrypting the records…" });
  const forms = [];
  let unreadable = 0;
  let after = null;
  try {
    do {
      const answer = await fetchSearchBatchOf(after, id);
      if (mine !== generation) return;
      for (const opened of openBatch(answer, practiceKey)) {
        if (!opened.ok || opened.signed.kind !== "form" || readFormBody(opened.json).templateId !== id) {
          unreadable += 1;
          continue;
        }
        forms.push({ id: opened.id, json: opened.json, at: opened.at, author: opened.author.name });
      }
      after = answer.next;
      status.textContent = t({ fr: `Déchiffrement des fiches… ${forms.length}`, en: `Decrypting the records… ${forms.length}` });
    } while (after);
  } catch (e) {
    status.textContent = "";
    error.textContent = e?.message || t({ fr: "Les fiches n'ont pas pu être chargées.", en: "The records could not be loaded." });
    return;
  }
  const { header, rows, ids } = recordsTable(template, forms, { timeZone });
  showTable(template, header, rows, ids);
  status.textContent = t({ fr: "Fiches vérifiées et déchiffrées dans ce navigateur.", en: "Records verified and decrypted in this browser." });
  error.textContent = unreadable
    ? t({
        fr: `${unreadable} formulaire(s) n'ont pas pu être vérifiés ni déchiffrés, ou ne sont pas signés pour ce modèle : ils ne sont pas montrés. Signalez-le à l'administrateur.`,
        en: `${unreadable} form(s) could not be verified or decrypted, or are not signed for this template: they are not shown. Report it to the administrator.`,
      }).replace(" :", "\u00a0:")
    : "";
  exportButton.disabled = false;
  section.dataset.ready = "true";
}

function fileName(template) {
  const name = latestVersion(template).name.replace(/[\\/:*?"<>|\u0000-\u001f]+/g, " ").trim() || "fiches";
  const day = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
  return `${name} ${day}.csv`;
}

exportButton.addEventListener("click", () => {
  if (!shown) return;
  const rows = shown.rows.filter((_, n) => !shown.trs[n].hidden);
  const bytes = csvBytes(shown.header, rows);
  if (save.href) URL.revokeObjectURL(save.href);
  save.href = URL.createObjectURL(new Blob([bytes], { type: "text/csv;charset=utf-8" }));
  save.download = fileName(shown.template);
  save.hidden = false;
  save.focus();
  count.textContent = t({ fr: `${rows.length} fiche(s) dans le fichier CSV, fait dans ce navigateur.`, en: `${rows.length} record(s) in the CSV file, made in this browser.` });
});
search.addEventListener("input", filter);
select.addEventListener("change", () => showTemplate(select.value));
section.querySelector("[data-records-form]").addEventListener("submit", (event) => event.preventDefault());

async function start() {
  const unlocked = await keysForThisPage(document.querySelector("[data-unlock-form]"));
  if (!unlocked || !unlocked.practice) {
    status.textContent = "";
    error.textContent = t({ fr: "Les clés du cabinet ne sont pas ouvertes dans cet onglet.", en: "The practice keys are not open in this tab." });
    return;
  }
  practiceKey = unlocked.practice.secretKey;
  try {
    templates = (await loadTemplates(practiceId)).body;
  } catch (e) {
    status.textContent = "";
    error.textContent = e?.sentences ? t(e.sentences) : t({ fr: "Les modèles de formulaires n'ont pas pu être ouverts.", en: "The form templates could not be opened." });
    return;
  }
  select.replaceChildren();
  for (const template of templates.templates) {
    const option = el("option", latestVersion(template).name + (template.archived ? t({ fr: " (archivé)", en: " (archived)" }) : ""));
    option.value = template.id;
    select.append(option);
  }
  if (templates.templates.length === 0) {
    status.textContent = t({ fr: "Aucun modèle de formulaire : créez-en un dans les consignes.", en: "No form template: create one in the instructions." }).replace(" :", "\u00a0:");
    section.dataset.ready = "true";
    return;
  }
  const wanted = /^#template=([0-9a-f-]{36})$/.exec(location.hash)?.[1];
  if (wanted && templates.templates.some((x) => x.id === wanted)) select.value = wanted;
  await showTemplate(select.value);
}

start().catch((e) => {
  error.textContent = e?.message || String(e);
});
