// The three built-in form templates (docs/items.md, "Forms"): starting points the editor
// copies into a practice's own template (docs/format.md §10, "Form templates"). They are
// not stored as such: a copy gets a new id, version 1 and `origin` set to the built-in's
// name, with labels in the page's language. Pure (no DOM), tested in tests/js/forms.test.mjs.
//
// Exported:
//   BUILTINS                      {appointment, order, record}: each {name, description,
//                                 fields} with every text as {fr, en}
//   builtinVersion(origin, lang)  → {name, description, fields} in `lang`, ready for
//                                 withEditedVersion (template.js); null for an unknown origin
//   newTemplateFrom(origin, lang) → {id, origin, version: {…}}: a fresh template id (UUID)
//                                 and the built-in's first version

const L = (fr, en) => ({ fr, en });

function field(id, type, label, extra = {}) {
  return {
    id,
    label,
    type,
    required: extra.required ?? false,
    help: extra.help ?? L("", ""),
    choices: extra.choices ?? [],
    columns: extra.columns ?? [],
  };
}

export const BUILTINS = Object.freeze({
  appointment: {
    name: L("Rendez-vous", "Appointment"),
    description: L("Une demande de rendez-vous ou un créneau réservé pour un appelant.", "An appointment request or a slot booked for a caller."),
    fields: [
      field("person", "text", L("Patient ou client", "Patient or client"), { required: true }),
      field("contact", "text", L("Contact (téléphone ou e-mail)", "Contact (phone or e-mail)"), { required: true }),
      field("practitioner", "text", L("Praticien", "Practitioner")),
      field("date", "date", L("Date", "Date"), { required: true }),
      field("time", "time", L("Heure", "Time"), { required: true }),
      field("duration", "number", L("Durée (minutes)", "Duration (minutes)"), { help: L("Par exemple 30.", "For example 30.") }),
      field("reason", "text", L("Motif", "Reason")),
      field("visit", "choice", L("Type de visite", "Kind of visit"), {
        choices: [L("Première visite", "First visit"), L("Suivi", "Follow-up")],
      }),
    ],
  },
  order: {
    name: L("Bon de commande", "Order form"),
    description: L("Une commande à un fournisseur, ligne par ligne.", "An order to a supplier, line by line."),
    fields: [
      field("supplier", "text", L("Fournisseur", "Supplier"), { required: true }),
      field("lines", "table", L("Lignes", "Lines"), {
        required: true,
        columns: [
          field("reference", "text", L("Référence", "Reference")),
          field("label", "text", L("Désignation", "Description"), { required: true }),
          field("quantity", "number", L("Quantité", "Quantity"), { required: true }),
          field("unit_price", "money", L("Prix unitaire HT", "Unit price excl. VAT")),
          field("vat_rate", "number", L("Taux de TVA (%)", "VAT rate (%)")),
        ],
      }),
      field("delivery_address", "text", L("Adresse de livraison", "Delivery address")),
      field("delivery_date", "date", L("Date de livraison souhaitée", "Delivery date wanted")),
      field("notes", "text", L("Remarques", "Notes")),
    ],
  },
  record: {
    name: L("Fiche", "Record"),
    description: L("Une fiche saisie dans un tableau du cabinet (par exemple un nouveau patient).", "A record entered into one of the practice's tables (for example a new patient)."),
    fields: [
      field("last_name", "text", L("Nom", "Last name"), { required: true }),
      field("first_name", "text", L("Prénom", "First name")),
      field("birth_date", "date", L("Date de naissance", "Date of birth")),
      field("phone", "text", L("Téléphone", "Phone")),
      field("email", "text", L("E-mail", "E-mail")),
      field("address", "text", L("Adresse", "Address")),
      field("notes", "text", L("Remarques", "Notes")),
    ],
  },
});

function inLanguage(f, lang) {
  return {
    id: f.id,
    label: f.label[lang],
    type: f.type,
    required: f.required,
    help: f.help[lang],
    choices: f.choices.map((c) => c[lang]),
    columns: f.columns.map((c) => inLanguage(c, lang)),
  };
}

/** The built-in `origin` as a version to save ({name, description, fields}) in `lang`. */
export function builtinVersion(origin, lang = "fr") {
  const b = Object.hasOwn(BUILTINS, origin) ? BUILTINS[origin] : null;
  if (!b) return null;
  const l = lang === "en" ? "en" : "fr";
  return { name: b.name[l], description: b.description[l], fields: b.fields.map((f) => inLanguage(f, l)) };
}

/** A new template started from the built-in `origin`: a fresh id and its first version. */
export function newTemplateFrom(origin, lang = "fr") {
  const version = builtinVersion(origin, lang);
  return version ? { id: crypto.randomUUID(), origin, version } : null;
}
