// The call-note form shared by the deposit page and the secretary's desk: the call timer (kept
// in this tab's sessionStorage, so that it survives a deposit and a reload), the urgency as
// three choices, keyboard use (Enter moves to the next field instead of depositing; Ctrl+Enter
// deposits; Alt+N starts a new call; Alt+1/2/3 choose the urgency), blank answers refused
// field by field, the practice's own fields (custom fields and the chosen call rule's fields),
// and a confirmation that says what was deposited and when. Nothing here is sent anywhere:
// the page seals what `collect` returns.
import { lang, t } from "./form.js";
import { pageZone } from "./localdates.js";

const MAX_CALL_SECONDS = 86400;
const TEXT_FIELDS = ["caller_name", "callback_number", "reason", "best_time", "notes"];
const REQUIRED = {
  caller_name: { fr: "Indiquez le nom de l'appelant.", en: "Enter the caller's name." },
  reason: { fr: "Indiquez le motif de l'appel.", en: "Enter the reason for the call." },
};
const URGENCY_WORDS = {
  urgent: { fr: "urgent", en: "urgent" },
  normal: { fr: "normal", en: "normal" },
  low: { fr: "faible", en: "low" },
};

/** "19 h 15" in French, "7:15 pm" in English, in the practice's time zone. */
export function clockTime(date, timeZone) {
  const english = lang() === "en";
  const text = new Intl.DateTimeFormat(english ? "en-GB" : "fr-FR", {
    timeZone: timeZone || pageZone(),
    hour: "numeric",
    minute: "2-digit",
    hour12: english,
  }).format(date);
  return english ? text.replace(/\s+/g, " ").toLowerCase() : text.replace(":", " h ");
}

/** "3:05" for the running display. */
export function shortDuration(seconds) {
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

/** The call timer of one practice's form, kept in sessionStorage under `key`. */
export class CallTimer {
  constructor(key, { display, startButton, stopButton, now = () => Date.now() }) {
    this.key = key;
    this.display = display;
    this.startButton = startButton;
    this.stopButton = stopButton;
    this.now = now;
    this.interval = null;
    this.state = this.load();
    this.render();
  }

  load() {
    try {
      const saved = JSON.parse(sessionStorage.getItem(this.key) || "null");
      if (saved && Number.isFinite(saved.startedAt)) {
        return { startedAt: saved.startedAt, seconds: Number.isFinite(saved.seconds) ? saved.seconds : null };
      }
    } catch {
      // an unreadable entry is no timer
    }
    return { startedAt: null, seconds: null };
  }

  save() {
    if (this.state.startedAt === null) sessionStorage.removeItem(this.key);
    else sessionStorage.setItem(this.key, JSON.stringify(this.state));
  }

  get running() {
    return this.state.startedAt !== null && this.state.seconds === null;
  }

  elapsed() {
    if (this.state.startedAt === null) return 0;
    if (this.state.seconds !== null) return this.state.seconds;
    const seconds = Math.max(0, Math.round((this.now() - this.state.startedAt) / 1000));
    return Math.min(seconds, MAX_CALL_SECONDS);
  }

  start() {
    this.state = { startedAt: this.now(), seconds: null };
    this.save();
    this.render();
  }

  stop() {
    if (!this.running) return;
    this.state = { ...this.state, seconds: this.elapsed() };
    this.save();
    this.render();
  }

  /** The call time to sign: start (Unix seconds) and duration so far. */
  callTime() {
    const started = this.state.startedAt ?? this.now();
    return { callStartedAt: Math.floor(started / 1000), callSeconds: this.elapsed() };
  }

  /** After a deposit: a running call goes on (the timer keeps counting); a stopped one is
   *  over, and the timer is ready for the next call. */
  afterDeposit() {
    if (!this.running) {
      this.state = { startedAt: null, seconds: null };
      this.save();
    }
    this.render();
  }

  render() {
    clearInterval(this.interval);
    this.interval = null;
    const tick = () => {
      this.display.textContent = shortDuration(this.elapsed());
    };
    tick();
    if (this.running) this.interval = setInterval(tick, 1000);
    this.display.dataset.running = this.running ? "true" : "false";
    this.stopButton.disabled = !this.running;
  }
}

function fieldId(form, name) {
  return `${form.id}-${name}`;
}

function clearInvalid(form) {
  for (const field of form.querySelectorAll("[aria-invalid]")) {
    field.removeAttribute("aria-invalid");
    const hint = document.getElementById(field.getAttribute("aria-describedby") || "");
    if (hint && hint.dataset.fieldError !== undefined) hint.textContent = "";
  }
}

function markInvalid(form, field, sentence) {
  const id = fieldId(form, `${field.name}-error`);
  let hint = document.getElementById(id);
  if (!hint) {
    hint = document.createElement("span");
    hint.id = id;
    hint.className = "field-error";
    hint.dataset.fieldError = "";
    field.insertAdjacentElement("afterend", hint);
  }
  hint.textContent = sentence;
  field.setAttribute("aria-invalid", "true");
  field.setAttribute("aria-describedby", id);
}

/** The first field a person types in (the caller's name): focus returns here after a deposit. */
export function firstField(form) {
  return form.elements.caller_name;
}

/** Refuse blank answers (empty or made only of spaces) in the required fields: each refused
 *  field says why beside it, and the first one gets the focus. True when the form may go. */
export function checkFilled(form) {
  clearInvalid(form);
  let first = null;
  for (const [name, sentence] of Object.entries(REQUIRED)) {
    const field = form.elements[name];
    if (field.value.trim() === "") {
      markInvalid(form, field, t(sentence));
      first ??= field;
    }
  }
  if (first) {
    // The previous deposit's confirmation would read as if this note had gone too.
    const box = form.querySelector("[data-confirmation]");
    if (box) {
      box.hidden = true;
      box.replaceChildren();
      delete box.dataset.confirmed;
    }
    first.focus();
    return false;
  }
  return true;
}

function practiceFieldInput(form, field, index, prefix) {
  const name = `${prefix}${index}`;
  const label = document.createElement("label");
  label.dataset.practiceField = field.id;
  const caption = document.createElement("span");
  caption.textContent = field.label;
  let input;
  if (field.type === "choice") {
    input = document.createElement("select");
    input.append(new Option("—", ""));
    for (const choice of field.choices || []) input.append(new Option(choice, choice));
  } else if (field.type === "yes_no") {
    input = document.createElement("select");
    input.append(new Option("—", ""), new Option(t({ fr: "oui", en: "yes" }), "yes"), new Option(t({ fr: "non", en: "no" }), "no"));
  } else {
    input = document.createElement("input");
    input.type = field.type === "date" ? "date" : "text";
    input.maxLength = 500;
  }
  input.name = name;
  input.dataset.fieldId = field.id;
  input.dataset.fieldType = field.type;
  input.dataset.fieldLabel = field.label;
  label.append(caption, input);
  return label;
}

/** Show the practice's own fields in the form: `custom` (custom fields of the instructions)
 *  and `rule` (the fields the chosen call rule asks for, as text). */
export function showPracticeFields(form, { custom = [], rule = [] } = {}) {
  for (const [selector, fields, prefix] of [
    ["[data-custom-fields]", custom, "custom_"],
    ["[data-rule-fields]", rule, "rule_"],
  ]) {
    const box = form.querySelector(selector);
    if (!box) continue;
    const previous = new Map(
      [...box.querySelectorAll("[data-field-id]")].map((input) => [input.dataset.fieldId, input.value]),
    );
    box.replaceChildren(...fields.map((field, i) => practiceFieldInput(form, field, i, prefix)));
    for (const input of box.querySelectorAll("[data-field-id]")) {
      if (previous.has(input.dataset.fieldId)) input.value = previous.get(input.dataset.fieldId);
    }
    box.hidden = fields.length === 0;
  }
}

/** The body of the call note (docs/format.md §5), with text trimmed. */
export function collect(form) {
  const f = form.elements;
  const body = { caller_is: f.caller_is.value };
  for (const name of TEXT_FIELDS) body[name] = f[name].value.trim();
  const extra = [...form.querySelectorAll("[data-custom-fields] [data-field-id], [data-rule-fields] [data-field-id]")];
  if (extra.length > 0) {
    body.custom_fields = extra.map((input) => ({
      id: input.dataset.fieldId,
      label: input.dataset.fieldLabel,
      type: input.dataset.fieldType,
      value: input.value.trim(),
    }));
  }
  const callType = f.call_type;
  if (callType && callType.value) {
    body.call_type = callType.selectedOptions[0]?.textContent ?? callType.value;
  }
  return body;
}

/** The urgency chosen (one of "low", "normal", "urgent"). */
export function urgencyOf(form) {
  return form.elements.urgency.value || "normal";
}

/** Empty the form for the next call (the urgency back to normal), keeping the practice's
 *  fields, and put the focus on the first field. */
export function resetForNextCall(form) {
  form.reset();
  clearInvalid(form);
  form.dispatchEvent(new Event("change", { bubbles: true }));
  firstField(form).focus();
}

/** Say, in a live region that stays on screen, what was deposited and when. */
export function confirmDeposit(box, { body, urgency, at, timeZone }) {
  const time = clockTime(at, timeZone);
  const who = body.caller_name;
  const why = body.reason;
  const level = t(URGENCY_WORDS[urgency] || URGENCY_WORDS.normal);
  box.replaceChildren();
  const strong = document.createElement("strong");
  strong.textContent = t({ fr: `✓ Note d'appel déposée à ${time}.`, en: `✓ Call note deposited at ${time}.` });
  const detail = document.createElement("span");
  detail.textContent = t({
    fr: ` Appelant\u00a0: ${who}\u00a0; motif\u00a0: ${why}\u00a0; urgence\u00a0: ${level}.`,
    en: ` Caller: ${who}; reason: ${why}; urgency: ${level}.`,
  });
  box.append(strong, detail);
  box.dataset.confirmed = "true";
  box.hidden = false;
}

/** Keyboard use of the form. `onNewCall` runs for Alt+N; Ctrl+Enter (or Cmd+Enter) deposits;
 *  Enter in a one-line field moves to the next field instead of depositing at once. */
export function keyboard(form, { onNewCall, scope = document }) {
  form.addEventListener("keydown", (event) => {
    const target = event.target;
    if (event.key !== "Enter" || event.ctrlKey || event.metaKey) return;
    if (!(target instanceof HTMLInputElement) || ["submit", "button", "checkbox", "radio"].includes(target.type)) return;
    event.preventDefault();
    const fields = [...form.elements].filter(
      (el) => !el.disabled && el.type !== "hidden" && !el.closest("[hidden]") && el.tabIndex >= 0 && el.type !== "submit",
    );
    const next = fields[fields.indexOf(target) + 1];
    if (next) next.focus();
  });
  scope.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && form.contains(document.activeElement)) {
      event.preventDefault();
      form.requestSubmit();
      return;
    }
    if (!event.altKey || event.ctrlKey || event.metaKey) return;
    const key = event.code;
    if (key === "KeyN") {
      event.preventDefault();
      onNewCall();
    } else if (key === "Digit1" || key === "Digit2" || key === "Digit3") {
      event.preventDefault();
      const value = { Digit1: "urgent", Digit2: "normal", Digit3: "low" }[key];
      const radio = form.querySelector(`input[name=urgency][value=${value}]`);
      radio.checked = true;
      radio.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });
}
