/**
 * The types a template variable may have, as a table: each row validates the caller's value (zod) and turns
 * it into what the template reads in one language. A template's header names the type of every variable
 * (`vars: serviceCode:code, bank:bank`), so a new service reuses these rows without code.
 */
import { z } from 'zod';

/** The languages every template exists in. */
export const LANGUAGES = ['kk', 'ru'] as const;
export type Language = (typeof LANGUAGES)[number];

/** Longest name or phrase a template variable takes (UTF-16 units): a full name, a school, a bank. */
export const MAX_TEXT_LENGTH = 200;
/** Most banks one invitation or event may offer (each is a line of the SMS). */
export const MAX_BANKS = 20;
/**
 * Most entries of a list of texts: the replies valid at one stage, each answer digit (0-9) once, or
 * once per bank of a list of at most MAX_BANKS (dialogue/engine.ts `validReplies`).
 */
export const MAX_TEXTS = 10 * MAX_BANKS;

/**
 * What no variable may contain: control characters (NUL, line breaks, tabs; Unicode Cc), format characters
 * (bidi embeddings, overrides and isolates, zero-width characters; Cf), line and paragraph separators, and
 * braces (none may reach a citizen). A bidi override would reorder the SMS after it; a line break would break
 * its layout.
 */
const FORBIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}{}]/u;

/** With the `u` flag a paired surrogate is one code point, so only a lone one is Cs. */
const LONE_SURROGATE = /\p{Cs}/u;

function describeForbidden(value: string): string {
  const ch = FORBIDDEN.exec(value)?.[0] ?? '';
  const code = `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
  if (ch === '{' || ch === '}') return 'must not contain a brace';
  if (ch === '\n' || ch === '\r') return `must not contain a line break (${code})`;
  return `must not contain the control or format character ${code}`;
}

/**
 * The one rule for a name or phrase on one line, shared by the API (invitation params, events) and the
 * templates, so whatever the API accepts renders: well-formed Unicode (no lone surrogate), 1 to
 * MAX_TEXT_LENGTH characters, none of FORBIDDEN.
 */
export const inlineText = z
  .string()
  .max(MAX_TEXT_LENGTH, `must be at most ${MAX_TEXT_LENGTH} characters`)
  .superRefine((value, ctx) => {
    if (LONE_SURROGATE.test(value)) {
      ctx.addIssue({ code: 'custom', message: 'must be well-formed Unicode (a lone surrogate was found)' });
    } else if (FORBIDDEN.test(value)) {
      ctx.addIssue({ code: 'custom', message: describeForbidden(value) });
    }
  })
  .trim()
  .min(1, 'must not be empty');

/** A bank's code as upstream systems know it: letters, digits and `._-`. */
const bankCode = z.string().regex(/^[A-Za-z0-9._-]{1,32}$/, 'must be 1-32 letters, digits, . _ -');

/** Longest link a bank may carry: it is printed whole in the SMS (003, Appendix 3). */
export const MAX_LINK_CHARS = 200;

/** Why `text` is not a link a citizen may be sent to, or null: https, a dotted host, nothing to trim. */
export function linkProblem(text: string): string | null {
  if (text.length > MAX_LINK_CHARS) return `must be at most ${MAX_LINK_CHARS} characters`;
  if (/[\s{}<>"]/.test(text)) return 'must not contain spaces, braces, angle brackets or quotes';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.protocol !== 'https:') return 'must be an https:// URL';
  if (url.username !== '' || url.password !== '') return 'must not carry a user name or password';
  if (!/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(url.hostname)) return 'must name a host with a domain';
  return null;
}

/** A link for opening an account (003, Appendix 3: "воспользуйтесь нижеперечисленными ссылками"). */
const linkSchema = z.string().superRefine((text, ctx) => {
  const problem = linkProblem(text);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
});

/**
 * A bank as upstream systems send it (CONTRACT, invitation params): the names in both languages and,
 * optionally, the https link for opening an account there, which Appendix 3 lists after its name.
 */
export const bankSchema = z.object({
  code: bankCode,
  nameKk: inlineText,
  nameRu: inlineText,
  link: linkSchema.optional(),
});
export type Bank = z.infer<typeof bankSchema>;

/** A bank as a template reads it: the name in the SMS's language, its number in the list (from 1). */
export interface LocalizedBank {
  readonly number: number;
  readonly code: string;
  readonly name: string;
  /** Empty when the bank carries no link (the template prints the name alone). */
  readonly link: string;
}

function localizeBank(bank: Bank, language: Language, index: number): LocalizedBank {
  return {
    number: index + 1,
    code: bank.code,
    name: language === 'kk' ? bank.nameKk : bank.nameRu,
    link: bank.link ?? '',
  };
}

const identity = <T>(value: T): T => value;

/** One row per variable type. `localize` runs after validation, so its input has the parsed shape. */
export const VAR_TYPES = {
  /** A name or phrase on one line: `fullName`, `parentFullName` ({ФИО} / {ТАӘ}). */
  text: { schema: inlineText, localize: identity },
  /** A service code the citizen types before `#3#1` (003, Appendix 1-2): letters and digits only. */
  code: {
    schema: z.string().regex(/^[0-9A-Za-z]{1,16}$/, 'must be 1-16 letters or digits'),
    localize: identity,
  },
  /** One bank ({payNameBankRu} / {payNameBankKz}): the template reads `bank.name`. */
  bank: { schema: bankSchema, localize: (bank: Bank, language: Language) => localizeBank(bank, language, 0) },
  /**
   * A numbered list of banks ({bankListRu}): the template reads `number` and `name` of each. The number is
   * the position in the array, from 1, so the reply `{code}#3#1{n}` means `banks[n - 1]`.
   */
  banks: {
    schema: z
      .array(bankSchema)
      .min(1, 'must list at least one bank')
      .max(MAX_BANKS, `must list at most ${MAX_BANKS} banks`),
    localize: (banks: readonly Bank[], language: Language) =>
      banks.map((b, i) => localizeBank(b, language, i)),
  },
  /** A non-empty list of short strings: valid replies, service codes. */
  texts: { schema: z.array(inlineText).min(1, 'must not be empty').max(MAX_TEXTS), localize: identity },
  /** A whole number of things, 0 or more (how many requests an SMS could not list). */
  count: { schema: z.number().int().min(0).max(1_000_000), localize: identity },
} as const;

export type VarTypeName = keyof typeof VAR_TYPES;

/** The value a caller passes for a variable of each type. */
export type VarValue = { [K in VarTypeName]: z.input<(typeof VAR_TYPES)[K]['schema']> };

export function isVarTypeName(name: string): name is VarTypeName {
  return Object.hasOwn(VAR_TYPES, name);
}

/** Validated value → what the template reads, in `language`. */
export function localizeVar(type: VarTypeName, value: unknown, language: Language): unknown {
  const row = VAR_TYPES[type];
  // The value was produced by this row's own schema, so the cast only restores what zod already checked.
  return (row.localize as (v: unknown, l: Language) => unknown)(value, language);
}
