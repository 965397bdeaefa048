// Reads [{ id, date, status, order }] as JSON on stdin and writes the browser's CSV of those
// orders (web/static/js/app/order.js) on stdout: tests/cli/test_orders_export.py compares it
// byte for byte with the command line's.
import { normaliseOrder, ordersCsv } from "../../web/static/js/app/order.js";

let input = "";
process.stdin.setEncoding("utf8");
for await (const chunk of process.stdin) input += chunk;
const rows = JSON.parse(input).map((r) => ({ ...r, order: normaliseOrder(r.order) }));
process.stdout.write(ordersCsv(rows));
