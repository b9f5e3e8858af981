/**
 * The agent console: a static page and a little vanilla JS
 * over the API, no build step. The page holds no data; everything it shows
 * comes from /v1 with the key the agent typed. Its words come from the i18next
 * `console` section of templates/locales (kk, ru), served as JSON.
 */
import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';
import type { Language } from '../../dialogue/conversation.js';
import type { LocaleResource } from '../../templates/catalogue.js';
import { sendError } from './errors.js';

/** The page's files, beside this module (scripts/copy-assets.mjs copies them into dist/). */
export const CONSOLE_DIR = fileURLToPath(new URL('./console/', import.meta.url));

/** Only the page's own scripts and the API on the same origin; no framing (clickjacking). */
const CSP =
  "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

function serviceNames(locale: LocaleResource): Record<string, string> {
  const services = locale.services;
  if (typeof services !== 'object') return {};
  return Object.fromEntries(
    Object.entries(services).map(([id, v]) => [
      id,
      typeof v === 'object' && typeof v.name === 'string' ? v.name : id,
    ]),
  );
}

export function consoleRouter(locales: Readonly<Record<Language, LocaleResource>>): Router {
  const router = Router();
  router.use('/console', (_req, res, next) => {
    res.set({
      'Content-Security-Policy': CSP,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
    });
    next();
  });
  router.get('/console/i18n/:lang', (req, res) => {
    const lang = req.params.lang;
    if (lang !== 'kk' && lang !== 'ru') return sendError(res, 'GW_NOT_FOUND', 'languages: kk, ru');
    res.json({ lang, console: locales[lang].console, services: serviceNames(locales[lang]) });
  });
  router.use(
    '/console',
    express.static(CONSOLE_DIR, { index: 'index.html', redirect: true, fallthrough: true }),
  );
  return router;
}
