// The 1414 agent console: plain JS over the gateway's API, no build step (docs/console.md).
// The key stays in sessionStorage (gone when the tab closes); every text is set with
// textContent, never innerHTML, because SMS and reply texts come from outside.
'use strict';

const KEY = 'gw1414.apiKey';
const LANG = 'gw1414.lang';
let words = { console: {}, services: {} };
let lastSearch = null;
let lastDetail = null;

const $ = (id) => document.getElementById(id);

/** A term of the console section by dotted key, with {{name}} placeholders filled. */
function t(key, vars = {}) {
  const raw = key
    .split('.')
    .reduce((node, part) => (node && typeof node === 'object' ? node[part] : undefined), words.console);
  if (typeof raw !== 'string') return key;
  return raw.replace(/\{\{(\w+)\}\}/g, (_, name) => String(vars[name] ?? ''));
}

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'text') node.textContent = v;
    else if (k === 'className') node.className = v;
    else node.setAttribute(k, v);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

/** Almaty wall-clock time as the API gives it (ISO with +05:00), shown without the browser's zone. */
const almaty = (iso) => (iso ? iso.slice(0, 16).replace('T', ' ') : '—');

async function loadWords(lang) {
  const res = await fetch(`i18n/${lang}`);
  words = await res.json();
  document.documentElement.lang = lang;
  for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  for (const node of document.querySelectorAll('[data-i18n-placeholder]')) {
    node.placeholder = t(node.dataset.i18nPlaceholder);
  }
  document.title = t('title');
}

function showError(message) {
  const box = $('error');
  box.textContent = message || '';
  box.hidden = !message;
}

const ERROR_WORDS = {
  GW_UNAUTHENTICATED: 'errors.unauthenticated',
  GW_FORBIDDEN: 'errors.forbidden',
  GW_RATE_LIMITED: 'errors.rateLimited',
  GW_NOT_FOUND: 'errors.notFound',
  GW_VALIDATION_FAILED: 'errors.invalid',
};

/** GET on the API with the agent's key; throws an Error whose message is ready to show. */
async function api(path) {
  const res = await fetch(path, {
    headers: { Authorization: `Bearer ${sessionStorage.getItem(KEY) ?? ''}` },
  });
  const body = await res.json().catch(() => ({}));
  if (res.ok) return body;
  const code = body.error?.code;
  if (code === 'GW_UNAUTHENTICATED') setKey(null);
  const details = (body.error?.details ?? []).map?.((d) => d.message).join('; ');
  throw new Error(`${t(ERROR_WORDS[code] ?? 'errors.other')}${details ? `: ${details}` : ''}`);
}

function setKey(key) {
  if (key) sessionStorage.setItem(KEY, key);
  else sessionStorage.removeItem(KEY);
  const has = Boolean(sessionStorage.getItem(KEY));
  $('work').hidden = !has;
  $('key-forget').hidden = !has;
  $('key-entry').hidden = has;
  $('key-save').hidden = has;
  $('key').value = '';
}

const stateWord = (state) => t(`state.${state}`);
const serviceName = (id) => words.services[id] ?? id;
const lang = () => $('lang').value;

function unmaskQuery() {
  const reason = $('reason').value.trim();
  return reason ? `&unmask=true&reason=${encodeURIComponent(reason)}` : '';
}

async function search(msisdn) {
  showError('');
  $('detail').hidden = true;
  lastSearch = await api(`/v1/conversations?msisdn=${encodeURIComponent(msisdn)}${unmaskQuery()}`);
  renderList();
}

function renderList() {
  const list = lastSearch?.conversations ?? [];
  $('results').hidden = false;
  $('no-results').hidden = list.length > 0;
  $('masked-note').hidden = !list.some((c) => c.masked);
  $('rows').replaceChildren(
    ...list.map((c) => {
      const open = el('button', { type: 'button', text: t('list.open'), 'data-testid': `open-${c.id}` });
      open.addEventListener('click', () => openConversation(c.id).catch((e) => showError(e.message)));
      return el(
        'tr',
        { 'data-testid': 'row' },
        el('td', { text: serviceName(c.service) }),
        el('td', { text: stateWord(c.state), 'data-state': c.state }),
        el('td', { text: c.deadlineText ? c.deadlineText[lang()] : '—' }),
        el('td', { text: almaty(c.createdAt) }),
        el('td', {}, open),
      );
    }),
  );
}

async function openConversation(id) {
  showError('');
  const query = unmaskQuery();
  lastDetail = await api(`/v1/conversations/${encodeURIComponent(id)}${query ? `?${query.slice(1)}` : ''}`);
  renderDetail();
}

function deliveryWord(status) {
  return t(`timeline.delivery.${status === 'queued' || status === 'sent' ? status : status || 'pending'}`);
}

/** Which act and version an SMS followed (templates/sets/): act number, date, appendix, wording, version. */
function setLine(s) {
  const act = s.act
    ? `${t('timeline.act')}: ${s.act.number}, ${s.act.date}, ${s.act.appendix}`
    : t('timeline.noAct');
  const wording = s.wording ? ` · ${t(`timeline.wording.${s.wording}`)}` : '';
  const version = s.sha256 ? ` · ${t('timeline.version')}: ${s.id} ${s.sha256.slice(0, 12)}` : ` · ${s.id}`;
  return `${act}${wording}${version}${s.changed ? ` · ${t('timeline.setChanged')}` : ''}`;
}

function entryBody(e) {
  switch (e.kind) {
    case 'sms':
      return [
        el('strong', { text: t('timeline.smsOut') }),
        el('pre', { text: e.text, 'data-testid': 'sms-text' }),
        el('div', {
          className: 'meta',
          text: `${t('timeline.parts')}: ${e.parts} · ${t('timeline.encoding')}: ${e.encoding} · ${t('timeline.status')}: ${deliveryWord(e.status)}${e.statusAt ? ` (${almaty(e.statusAt)})` : ''}`,
          'data-testid': 'sms-status',
        }),
        ...(e.templateSet
          ? [el('div', { className: 'meta', text: setLine(e.templateSet), 'data-testid': 'sms-act' })]
          : []),
      ];
    case 'reply':
      return [
        el('strong', { text: t('timeline.replyIn') }),
        el('pre', { text: e.text }),
        el('div', {
          className: 'meta',
          text: `${t('timeline.parsedAs')}: ${e.meaning} (${t(e.accepted ? 'timeline.accepted' : 'timeline.notAccepted')})`,
        }),
      ];
    case 'transition':
      return [
        el('strong', { text: t('timeline.transition') }),
        el('span', { text: ` ${stateWord(e.from) || e.from} → ${stateWord(e.to)}` }),
        el('div', { className: 'meta', text: `${e.cause} · ${e.stage}` }),
      ];
    case 'event':
      return [el('strong', { text: t('timeline.event') }), el('span', { text: ` ${e.name} ${e.detail}` })];
    default:
      return [el('strong', { text: t('timeline.note') }), el('span', { text: ` ${e.text ?? e.kind}` })];
  }
}

function renderDetail() {
  const c = lastDetail;
  if (!c) return;
  $('detail').hidden = false;
  $('detail-title').textContent = `${serviceName(c.service)} · ${c.id}`;
  $('detail-state').textContent = stateWord(c.state);
  $('detail-msisdn').textContent = c.msisdn;
  $('detail-deadline').textContent = c.deadlineText ? c.deadlineText[lang()] : '—';
  $('detail-language').textContent = c.language;
  $('next-step').textContent = c.nextStep[lang()];
  const shown = c.timeline.filter((e) => e.kind !== 'sms-status');
  $('timeline').replaceChildren(
    ...shown.map((e) =>
      el(
        'li',
        { className: e.kind, 'data-kind': e.kind },
        el('time', { text: almaty(e.at) }),
        ...entryBody(e),
      ),
    ),
  );
}

async function showCampaign(id) {
  showError('');
  const { progress } = await api(`/v1/campaigns/${encodeURIComponent(id)}`);
  $('campaign-progress').replaceChildren(
    ...Object.entries(progress).flatMap(([field, n]) => [
      el('dt', { text: t(`campaign.${field}`) }),
      el('dd', { text: String(n) }),
    ]),
  );
}

function on(id, event, handler) {
  $(id).addEventListener(event, (e) => {
    e.preventDefault();
    Promise.resolve(handler(e)).catch((err) => showError(err.message));
  });
}

async function main() {
  const saved = sessionStorage.getItem(LANG) ?? 'ru';
  $('lang').value = saved;
  await loadWords(saved);
  setKey(sessionStorage.getItem(KEY));
  on('key-form', 'submit', () => setKey($('key').value.trim()));
  on('key-forget', 'click', () => setKey(null));
  on('search-form', 'submit', () => search($('msisdn').value));
  on('campaign-form', 'submit', () => showCampaign($('campaign-id').value.trim()));
  on('lang', 'change', async () => {
    sessionStorage.setItem(LANG, lang());
    await loadWords(lang());
    if (lastSearch) renderList();
    renderDetail();
  });
}

main().catch((err) => showError(String(err)));
