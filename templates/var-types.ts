/**
 * The types a template variable may have, as a table: each row validates the caller's value (zod) and turns
 * it into what the template reads in one language. A template's header names the type of every variable
 * (`vars: serviceCode:code, bank:bank`), so a new service reuses these rows without code.
 */
import { z } from 'zod';

/** The languages every template exists in. */
export const LANGUAGES = ['kk', 'ru'] as const;
export type Language = (typeof LANGUAGES)[number];

/** No line break (it would break the SMS layout) and no brace (none may reach a citizen). */
const inlineText = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .regex(/^[^\r\n{}]*$/, 'must not contain a line break or a brace');

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
const bankSchema = z.object({
  code: z.string().min(1),
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
    schema: z.array(bankSchema).min(1, 'must list at least one bank'),
    localize: (banks: readonly Bank[], language: Language) =>
      banks.map((b, i) => localizeBank(b, language, i)),
  },
  /** A non-empty list of short strings: valid replies, service codes. */
  texts: { schema: z.array(inlineText).min(1, 'must not be empty'), localize: identity },
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
