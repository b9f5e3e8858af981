/**
 * Typed variables for the template ids the code refers to by name. The files stay the source of truth:
 * the test `known templates match their headers` fails when this table and a header disagree. A template
 * for a new service needs no row here; it renders with variables checked at run time.
 */
import type { VarTypeName, VarValue } from './var-types.js';

/** Template id → variable name → type (the same words as the headers' `vars:` lines). */
export const KNOWN_TEMPLATES = {
  'home-schooling.offer-one-bank': { serviceCode: 'code', bank: 'bank' },
  'home-schooling.offer-several-banks': { serviceCode: 'code', banks: 'banks' },
  'home-schooling.offer-no-account': { banks: 'banks' },
  'home-schooling.expired': { fullName: 'text' },
  'home-schooling.assigned': { fullName: 'text', bank: 'bank' },
  'home-schooling.consent-accepted': { bank: 'bank' },
  'school-meals.request': { parentFullName: 'text', childFullName: 'text' },
  'school-meals.refused': {},
  'school-meals.consented': {},
  'social-portal.choose-supplier': { fullName: 'text' },
  'social-portal.choice-blocked': { fullName: 'text' },
  'gateway.not-understood': { replies: 'texts' },
  'gateway.after-deadline': {},
  'gateway.no-open-request': {},
  'gateway.no-reply-needed': {},
  'gateway.which-request': { options: 'texts', more: 'count' },
} as const satisfies Record<string, Record<string, VarTypeName>>;

export type KnownTemplateId = keyof typeof KNOWN_TEMPLATES;

/** The variables each known template takes, as the caller passes them. */
export type KnownTemplateVars = {
  [K in KnownTemplateId]: VarsOfTypes<(typeof KNOWN_TEMPLATES)[K]>;
};

type VarsOfTypes<T extends Record<string, VarTypeName>> = { readonly [V in keyof T]: VarValue[T[V]] };
