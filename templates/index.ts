/**
 * The template layer's public surface: load the files once at start-up, build the renderer, render.
 *
 *     const renderer = createRenderer(await loadTemplates());
 *     const sms = renderer.render('home-schooling.offer-one-bank', 'kk', { serviceCode: '123', bank });
 *     // sms.text, sms.sha256 (the consent record's proof), sms.segmentation.parts
 */
export { loadTemplates, loadSamples, DEFAULT_TEMPLATES_DIR } from './load.js';
export {
  buildCatalogue,
  type TemplateCatalogue,
  type TemplateEntry,
  type TemplateFile,
} from './catalogue.js';
export {
  createRenderer,
  type Renderer,
  type RenderedSms,
  type SmsSegmentation,
  type VarsFor,
} from './renderer.js';
export { TemplateError, type TemplateErrorCode } from './errors.js';
export { loadTemplateSets } from './load.js';
export {
  almatyDay,
  buildTemplateSets,
  isInForce,
  GATEWAY_SERVICE,
  type ActReference,
  type RenderOptions,
  type SetRenderedSms,
  type TemplateSet,
  type TemplateSets,
} from './sets.js';
export { KNOWN_TEMPLATES, type KnownTemplateId, type KnownTemplateVars } from './known.js';
export { LANGUAGES, type Language, type Bank, type VarTypeName } from './var-types.js';
export type { TextKind, VarDecl } from './header.js';
