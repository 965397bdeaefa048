// The practice's orders: the state of each is the server's (rendered in the page); the
// supplier and the total including VAT are decrypted here (one batch of envelopes, verified
// with their authors' keys, app/envelopes.js), and the CSV export for French Excel is made
// here from the decrypted orders (app/order.js): nothing in clear reaches the server.
import { fetchListed, openBatch } from "../app/envelopes.js";
import { t } from "../app/form.js";
import { formatEuros } from "../app/money.js";
import { normaliseOrder, ordersCsv, supplierName, totalsOf } from "../app/order.js";
import { localParts } from "../app/localdates.js";
import { keysForThisPage } from "../app/unlock-prompt.js";

const section = document.getElementById("orders");
const status = section.querySelector("[data-status]");
const errorBox = section.querySelector("[data-error]");
const rows = [...section.querySelectorAll("[data-order-row]")];
const exportButton = section.querySelector("[data-export-csv]");
const STATUS = { ordered: "commandee", approved: "approuvee", delivered: "livree" };
const opened = new Map();
const BATCH = 50; // the server lists at most 50 envelopes at a time (vault/items/listing.py)
const two = (n) => String(n).padStart(2, "0");

/** The practice's local day ("2026-12-02") of an RFC 3339 time. */
function localDay(at) {
  const p = localParts(new Date(at), section.dataset.timezone);
  return `${p.year}-${two(p.month)}-${two(p.day)}`;
}

async function start() {
  if (rows.length === 0) return;
  status.textContent = t({ fr: "Déchiffrement des commandes…", en: "Decrypting the orders…" });
  const unlocked = await keysForThisPage(document.querySelector("[data-unlock-form]"));
  if (!unlocked?.practice) {
    status.textContent = "";
    errorBox.textContent = t({ fr: "Les clés du cabinet ne sont pas ouvertes dans cet onglet.", en: "The practice keys are not open in this tab." });
    return;
  }
  const ids = rows.map((r) => r.dataset.orderRow);
  for (let i = 0; i < ids.length; i += BATCH) {
    const answer = await fetchListed(ids.slice(i, i + BATCH));
    for (const one of openBatch(answer, unlocked.practice.secretKey)) {
      const row = section.querySelector(`[data-order-row="${one.id}"]`);
      if (!row) continue;
      if (!one.ok) {
        row.querySelector("[data-order-supplier]").textContent = t({ fr: "illisible (signature ou contenu)", en: "unreadable (signature or content)" });
        row.querySelector("[data-order-total]").textContent = "";
        continue;
      }
      const order = normaliseOrder(one.json?.values ?? {});
      const totals = totalsOf(order);
      opened.set(one.id, order);
      row.querySelector("[data-order-supplier]").textContent = supplierName(order);
      row.querySelector("[data-order-total]").textContent = totals ? formatEuros(totals.gross) : "—";
    }
  }
  status.textContent = t({ fr: "Commandes vérifiées et déchiffrées dans ce navigateur.", en: "Orders verified and decrypted in this browser." });
  section.dataset.decrypted = "true";
  exportButton.disabled = false;
}

exportButton?.addEventListener("click", () => {
  const csv = ordersCsv(rows.filter((r) => opened.has(r.dataset.orderRow)).map((r) => ({
    id: r.dataset.orderRow,
    date: localDay(r.dataset.orderedAt),
    status: STATUS[r.dataset.status] ?? r.dataset.status,
    order: opened.get(r.dataset.orderRow),
  })));
  const link = section.querySelector("[data-csv-save]");
  if (link.href) URL.revokeObjectURL(link.href);
  link.href = URL.createObjectURL(new Blob([csv], { type: "text/csv;charset=utf-8" }));
  link.download = "commandes.csv";
  link.hidden = false;
  link.focus();
  status.textContent = t({ fr: "Fichier CSV prêt (séparateur point-virgule, pour Excel).", en: "CSV file ready (semicolon-separated, for Excel)." });
});

start().catch((error) => {
  status.textContent = "";
  errorBox.textContent = error?.message || String(error);
});
