/**
 * The template layer's errors, each with a stable code (the catalogue-of-errors habit, STYLE.md).
 * Messages always name the template id and language, and the variable when one is at fault.
 */

/** Stable codes: callers branch on these, never on message text. */
export type TemplateErrorCode =
  /** The template files disagree with each other or with the locales; fix the files named in the message. */
  | 'invalid-catalogue'
  /** No template has this id: add `templates/kk/<id>.hbs` and `templates/ru/<id>.hbs`. */
  | 'unknown-template'
  /** A variable is missing or has the wrong shape; the message names the template and the variable. */
  | 'invalid-variables'
  /** Handlebars failed while rendering, or the text would reach a citizen with a brace in it. */
  | 'render-failed'
  /** A template set (templates/sets/*.json) or one of its files is wrong; the one-line message names the file. */
  | 'invalid-set'
  /** No template set of the service is in force on that day (Asia/Almaty). */
  | 'no-set-in-force';

/** Thrown by the loader and the renderer. */
export class TemplateError extends Error {
  override readonly name = 'TemplateError';

  constructor(
    readonly code: TemplateErrorCode,
    message: string,
  ) {
    super(message);
  }
}
