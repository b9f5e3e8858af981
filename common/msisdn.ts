/**
 * Kazakhstan MSISDNs: 11 digits starting with 7 (CONTRACT.md). The API accepts
 * `+7…`, `8…` and spaced or dashed forms and stores the canonical one.
 */

const CANONICAL = /^7\d{10}$/;

/** Canonical `7XXXXXXXXXX`, or undefined when the input is not a Kazakh-plan number. */
export function normalizeMsisdn(input: string): string | undefined {
  const compact = input.trim().replace(/[\s\-().]/g, '');
  let digits: string;
  if (/^\+7\d{10}$/.test(compact)) digits = compact.slice(1);
  else if (/^87\d{9}$/.test(compact) && compact.length === 11) digits = '7' + compact.slice(1);
  else if (/^7\d{10}$/.test(compact)) digits = compact;
  else if (/^007\d{10}$/.test(compact)) digits = compact.slice(2);
  else return undefined;
  return CANONICAL.test(digits) ? digits : undefined;
}

export function isMsisdn(value: string): boolean {
  return CANONICAL.test(value);
}

/** `77011234567` → `7701***4567`: what agents and logs see. */
export function maskMsisdn(value: string): string {
  if (value.length < 8) return '***';
  return `${value.slice(0, 4)}***${value.slice(-4)}`;
}

/** `Айгүл Сейітқызы` → `А*** С***`: first letter of each word. */
export function maskName(value: string): string {
  return value
    .split(/\s+/)
    .filter(Boolean)
    .map((word) => `${Array.from(word)[0] ?? ''}***`)
    .join(' ');
}
