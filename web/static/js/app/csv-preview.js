// A preview of the first rows of a CSV file, as a table. Every cell goes in with
// textContent; a cell that looks like a spreadsheet formula (= + - @, tab, CR) stays inert
// text and is marked, so nothing here ever evaluates or links it.
const MAX_ROWS = 20;
const MAX_BYTES = 256 * 1024;
const FORMULA = /^[=+\-@\t\r]/;

/** Parse CSV text (quotes, doubled quotes, the given delimiter) into at most `maxRows` rows. */
export function parseCsv(text, delimiter, maxRows = MAX_ROWS) {
  const rows = [];
  let row = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length && rows.length < maxRows; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"' && cell === "") quoted = true;
    else if (c === delimiter) {
      row.push(cell);
      cell = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i += 1;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
    } else cell += c;
  }
  if ((cell !== "" || row.length > 0) && rows.length < maxRows) rows.push([...row, cell]);
  return rows;
}

function guessDelimiter(line) {
  const counts = [";", ",", "\t"].map((d) => [d, line.split(d).length]);
  counts.sort((a, b) => b[1] - a[1]);
  return counts[0][0];
}

export function looksLikeFormula(cell) {
  return FORMULA.test(cell);
}

/** Fill `table` with the first rows of the CSV `blob`. */
export async function previewCsv(blob, table) {
  const text = await blob.slice(0, MAX_BYTES).text();
  const rows = parseCsv(text, guessDelimiter(text.split(/\r?\n/, 1)[0] || ""));
  table.replaceChildren();
  for (const [index, cells] of rows.entries()) {
    const tr = document.createElement("tr");
    for (const value of cells) {
      const td = document.createElement(index === 0 ? "th" : "td");
      td.textContent = value;
      if (looksLikeFormula(value)) td.dataset.formula = "inert";
      tr.append(td);
    }
    table.append(tr);
  }
}
