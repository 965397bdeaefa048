// The password rule of Permanence, checked in the browser (the server never sees passwords):
// at least `minLength` characters, or a passphrase of at least 7 words; common passwords refused.

const COMMON = new Set([
  "123456789012", "1234567890123", "azertyuiop12", "motdepasse123", "motdepasse1234",
  "password1234", "password12345", "passwordpassword", "qwertyuiop12", "qwertyuiop123",
  "iloveyou1234", "administrator", "administrateur", "azertyazerty", "bonjour12345",
  "soleil123456", "changeme1234", "welcome12345", "letmein12345", "secretaire123",
  "permanence123", "permanence2026", "medecin12345", "avocat123456", "notaire12345",
  "000000000000", "111111111111", "abcdefghijkl", "abcd1234abcd", "trustno1trustno1",
]);

function words(password) {
  return password.trim().split(/\s+/).filter((w) => w.length > 0);
}

function isRepetitive(password) {
  return new Set(password.toLowerCase()).size <= 3;
}

/** Return null when acceptable, else the reason as { fr, en } sentences. */
export function passwordProblem(password, minLength) {
  const normalized = password.normalize("NFKC");
  const isPassphrase = words(normalized).length >= 7;
  if (!isPassphrase && [...normalized].length < minLength) {
    return {
      fr: `Au moins ${minLength} caractères, ou une phrase d'au moins 7 mots.`,
      en: `At least ${minLength} characters, or a passphrase of at least 7 words.`,
    };
  }
  if (COMMON.has(normalized.toLowerCase()) || isRepetitive(normalized)) {
    return {
      fr: "Ce mot de passe est trop courant ou trop simple : choisissez-en un autre.",
      en: "This password is too common or too simple: choose another one.",
    };
  }
  return null;
}
