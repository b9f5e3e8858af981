// The 1414 agent console: plain JS over the gateway's API, no build step (docs/console.md).
// The key stays in sessionStorage (gone when the tab closes); every text is set with
// textContent, never innerHTML, because SMS and reply texts come from outside.
// Safe by default: a search clears what was on screen before it asks anything; a conversation
// left alone for a few minutes is hidden; the open conversation follows its changes by itself.
'use strict';

const KEY = 'gw1414.apiKey';
const LANG = 'gw1414.lang';
let words = { console: {}, services: {} };
let me = null;
/** What the list shows: { title, conversations, more } (a search or a worklist). */
let listing = null;
let detail = null;
let version = null;
let updatedAt = null;
let lastActivity = Date.now();
/** The supervisor's list of people's keys, once shown. */
let keyList = null;
let generation = 0;

const $ = (id) => document.getElementById(id);

/** A term of the console section by dotted key, with {{name}} placeholders filled; '' if missing. */
function t(key, vars = {}) {
  const raw = key
    .split('.')
    .reduce((node, part) => (node && typeof node === 'object' ? node[part] : undefined), words.console);
  if (typeof raw !== 'string') return '';
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

const lang = () => $('lang').value;
/** A localized { kk, ru } from the API, in the page's language. */
const L = (v) => (v && typeof v === 'object' ? (v[lang()] ?? '') : '');

/** Almaty wall-clock time as the API gives it (ISO with +05:00), labelled with the zone. */
const almaty = (iso) => (iso ? `${iso.slice(0, 16).replace('T', ' ')} ${t('zone')}` : '—');
const withZone = (text) => (text ? `${text} ${t('zone')}` : '—');
/** Now on the Almaty clock (the "updated" line), whatever the computer's own zone. */
const almatyNow = () =>
  new Intl.DateTimeFormat('ru-RU', {
    timeZone: 'Asia/Almaty',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).format(new Date());

async function loadWords(l) {
  const res = await fetch(`i18n/${l}`);
  words = await res.json();
  document.documentElement.lang = l;
  for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  for (const node of document.querySelectorAll('[data-i18n-placeholder]')) {
    node.placeholder = t(node.dataset.i18nPlaceholder);
  }
  document.title = t('title');
  $('ref-service').replaceChildren(
    ...Object.entries(words.services).map(([id, name]) => el('option', { value: id, text: name })),
  );
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
/** A field the API named as wrong, said in the page's words: what it takes, not only that it is wrong. */
const FIELD_WORDS = {
  msisdn: 'errors.invalidMsisdn',
  reason: 'errors.invalidReason',
};

/** A call to the API with the agent's key; throws an Error whose message is ready to show. */
async function api(path, options = {}) {
  const res = await fetch(path, {
    method: options.method ?? 'GET',
    headers: {
      Authorization: `Bearer ${sessionStorage.getItem(KEY) ?? ''}`,
      ...(options.body ? { 'Content-Type': 'application/json' } : {}),
    },
    ...(options.body ? { body: JSON.stringify(options.body) } : {}),
  });
  const body = await res.json().catch(() => ({}));
  if (res.ok) return body;
  const code = body.error?.code;
  if (code === 'GW_UNAUTHENTICATED') setKey(null);
  // Only the page's own words: the API's messages are English, for developers.
  const field = code === 'GW_VALIDATION_FAILED' ? body.error?.details?.[0]?.path : undefined;
  throw new Error(t(FIELD_WORDS[field] ?? ERROR_WORDS[code] ?? 'errors.other'));
}

/** Hides everything of the previous caller: list, conversation, messages. */
function clearScreen() {
  generation++;
  listing = null;
  detail = null;
  version = null;
  showError('');
  $('idle').hidden = true;
  $('results').hidden = true;
  $('rows').replaceChildren();
  $('detail').hidden = true;
  $('timeline').replaceChildren();
  $('action-done').hidden = true;
  $('new-key').textContent = '';
  $('new-key-box').hidden = true;
}

function setKey(key) {
  if (key) sessionStorage.setItem(KEY, key);
  else sessionStorage.removeItem(KEY);
  const has = Boolean(sessionStorage.getItem(KEY));
  if (!has) {
    clearScreen();
    me = null;
  }
  $('work').hidden = !has;
  $('key-forget').hidden = !has;
  $('key-entry').hidden = has;
  $('key-save').hidden = has;
  $('key').value = '';
  showRole();
  if (has && !me) whoAmI().catch((e) => showError(e.message));
}

async function whoAmI() {
  me = await api('/v1/me');
  showRole();
}

function showRole() {
  $('whoami').textContent = me ? me.person : '';
  for (const node of document.querySelectorAll('[data-role="supervisor"]')) {
    node.hidden = me?.role !== 'supervisor';
  }
}

const stateWord = (state) => t(`state.${state}`) || t('notes.other');
const serviceName = (id) => words.services[id] ?? t('ui.none');
const shortId = (id) => id.slice(-6);

function unmaskQuery() {
  const reason = me?.role === 'supervisor' ? $('reason').value.trim() : '';
  return reason ? `unmask=true&reason=${encodeURIComponent(reason)}` : '';
}
const withQuery = (path, query) => (query ? `${path}${path.includes('?') ? '&' : '?'}${query}` : path);

async function search() {
  clearScreen();
  const mine = generation;
  const by = $('search-by').value;
  let found;
  if (by === 'id') {
    const id = $('conv-id').value.trim();
    const one = await api(withQuery(`/v1/conversations/${encodeURIComponent(id)}`, unmaskQuery()));
    found = [one];
  } else {
    const query =
      by === 'reference'
        ? `service=${encodeURIComponent($('ref-service').value)}&externalId=${encodeURIComponent($('ref-external').value.trim())}`
        : `msisdn=${encodeURIComponent($('msisdn').value)}`;
    found = (await api(withQuery(`/v1/conversations?${query}`, unmaskQuery()))).conversations;
  }
  if (mine !== generation) return;
  listing = { title: 'list.title', conversations: found, more: null };
  renderList();
  if (by === 'id' && found[0]) await openConversation(found[0].id);
}

async function showWorklist(name, cursor = '') {
  if (cursor === '') clearScreen();
  const mine = generation;
  const from = cursor === '' ? '' : `cursor=${encodeURIComponent(cursor)}&`;
  const page = await api(`/v1/worklists/${name}?${from}limit=50`);
  if (mine !== generation) return;
  const before = cursor === '' ? [] : (listing?.conversations ?? []);
  listing = {
    title: `worklists.${name}`,
    conversations: [...before, ...page.conversations],
    more: page.next === null ? null : { name, cursor: page.next },
  };
  renderList();
}

function renderList() {
  const list = listing?.conversations ?? [];
  $('results').hidden = false;
  $('results-title').textContent = t(listing?.title ?? 'list.title');
  $('no-results').textContent = t(listing?.title === 'list.title' ? 'search.noResults' : 'worklists.empty');
  $('no-results').hidden = list.length > 0;
  $('masked-note').hidden = !list.some((c) => c.masked);
  $('more').hidden = !listing?.more;
  $('rows').replaceChildren(
    ...list.map((c) => {
      const open = el('button', { type: 'button', text: t('list.open'), 'data-testid': `open-${c.id}` });
      open.addEventListener('click', () => openConversation(c.id).catch((e) => showError(e.message)));
      return el(
        'tr',
        { 'data-testid': 'row' },
        el('td', { text: serviceName(c.service), 'data-label': t('list.service') }),
        el('td', { text: c.campaign ?? t('ui.none'), 'data-label': t('ui.campaign'), className: 'data' }),
        el('td', { text: shortId(c.id), 'data-label': t('ui.shortId'), title: c.id, className: 'data' }),
        el('td', { text: stateWord(c.state), 'data-state': c.state, 'data-label': t('list.state') }),
        el('td', {
          text: c.deadlineText ? withZone(L(c.deadlineText)) : t('ui.none'),
          'data-label': t('list.deadline'),
        }),
        el('td', { text: almaty(c.updatedAt), 'data-label': t('ui.lastActivity') }),
        el('td', {}, open),
      );
    }),
  );
}

async function openConversation(id) {
  showError('');
  const mine = generation;
  const c = await api(withQuery(`/v1/conversations/${encodeURIComponent(id)}`, unmaskQuery()));
  if (mine !== generation) return;
  detail = c;
  version = null;
  updatedAt = almatyNow();
  renderDetail();
  const v = await api(`/v1/conversations/${encodeURIComponent(id)}/version`).catch(() => null);
  if (mine === generation && detail?.id === id && v) version = v.version;
}

function deliveryWord(status) {
  return t(`timeline.delivery.${status || 'pending'}`) || t('timeline.delivery.pending');
}

/** The technical fields of an entry, behind a "details" toggle. */
function technical(e) {
  const skip = new Set(['at', 'kind', 'text', 'says', 'stageSays', 'status', 'statusAt']);
  const rows = Object.entries(e).filter(([k, v]) => !skip.has(k) && v !== undefined && v !== null);
  if (rows.length === 0) return null;
  return el(
    'details',
    { className: 'tech' },
    el('summary', { text: t('ui.details') }),
    el(
      'dl',
      {},
      ...rows.flatMap(([k, v]) => [
        el('dt', { text: k }),
        el('dd', { text: typeof v === 'string' ? v : JSON.stringify(v) }),
      ]),
    ),
  );
}

function resendForm(e) {
  if (me?.role !== 'supervisor' || e.status !== 'failed') return null;
  const form = el('form', { className: 'resend', autocomplete: 'off' });
  const reason = el('input', { required: '', minlength: '5', 'data-testid': `resend-reason-${e.smsId}` });
  form.append(
    el('label', {}, el('span', { text: t('actions.reason') }), reason),
    el('button', { type: 'submit', text: t('actions.resend'), 'data-testid': `resend-${e.smsId}` }),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const id = detail.id;
    api(`/v1/conversations/${encodeURIComponent(id)}/resend`, {
      method: 'POST',
      body: { smsId: e.smsId, reason: reason.value.trim() },
    })
      .then(() => done('actions.resent', id))
      .catch((err) => showError(err.message));
  });
  return form;
}

/**
 * Which act and version an SMS followed (templates/sets/): the act's number, date and appendix and the
 * set's id and version are data, as the act and the set file write them; the labels are the agent's.
 */
function setLine(s) {
  const act = s.act
    ? [
        `${t('timeline.act')}: `,
        el('span', { className: 'data', text: `${s.act.number}, ${s.act.date}, ${s.act.appendix}` }),
      ]
    : [t('timeline.noAct')];
  const wording = s.wording ? ` · ${t(`timeline.wording.${s.wording}`)}` : '';
  const version = el('span', { className: 'data', text: `${s.id} ${(s.sha256 ?? '').slice(0, 12)}`.trim() });
  return el(
    'div',
    { className: 'meta', 'data-testid': 'sms-act' },
    ...act,
    `${wording} · ${t('timeline.version')}: `,
    version,
    s.changed ? ` · ${t('timeline.setChanged')}` : '',
  );
}

function entryBody(e) {
  switch (e.kind) {
    case 'sms':
      return [
        el('strong', { text: t('timeline.smsOut') }),
        el('pre', { text: e.text, 'data-testid': 'sms-text' }),
        el('div', {
          className: 'meta',
          text: `${t('timeline.parts')}: ${e.parts} · ${t('timeline.status')}: ${deliveryWord(e.status)}${e.statusAt ? ` (${almaty(e.statusAt)})` : ''}`,
          'data-testid': 'sms-status',
        }),
        e.templateSet ? setLine(e.templateSet) : null,
        resendForm(e),
      ];
    case 'reply':
      return [
        el('strong', { text: t('timeline.replyIn') }),
        el('pre', { text: e.text }),
        el('div', {
          className: 'meta',
          text: `${t('timeline.parsedAs')}: ${L(e.says)} (${t(e.accepted ? 'timeline.accepted' : 'timeline.notAccepted')})`,
        }),
      ];
    case 'transition':
      return [
        el('strong', { text: t('timeline.transition') }),
        el('span', {
          text: ` ${e.from && e.from !== 'new' && e.from !== e.to ? `${stateWord(e.from)} → ` : ''}${stateWord(e.to)}`,
        }),
        el('div', { className: 'meta', text: `${L(e.stageSays)} · ${L(e.says)}` }),
      ];
    case 'event':
      return [el('strong', { text: t('timeline.event') }), el('span', { text: ` ${L(e.says)}` })];
    case 'note':
      return [
        el('strong', { text: t('timeline.note') }),
        el('span', { text: ` ${L(e.says)}` }),
        e.by !== undefined ? el('pre', { text: e.text ?? '' }) : null,
      ];
    default:
      return [el('strong', { text: t('timeline.note') }), el('span', { text: ` ${L(e.says)}` })];
  }
}

function renderDetail() {
  const c = detail;
  if (!c) return;
  $('detail').hidden = false;
  $('detail-title').replaceChildren(
    `${serviceName(c.service)} · `,
    el('span', { text: shortId(c.id), className: 'data', title: c.id }),
  );
  $('updated').textContent = updatedAt ? t('ui.updated', { time: `${updatedAt} ${t('zone')}` }) : '';
  $('detail-state').textContent = stateWord(c.state);
  $('detail-stage').textContent = L(c.stageText);
  $('detail-msisdn').textContent = c.msisdn;
  $('detail-deadline').textContent = c.deadlineText ? withZone(L(c.deadlineText)) : t('ui.none');
  $('detail-language').textContent = c.language === 'kk' ? 'Қазақша' : 'Русский';
  $('script-happened').textContent = L(c.script.happened);
  $('script-can').textContent = L(c.script.can);
  $('script-codes-box').hidden = c.script.replies.length === 0;
  $('script-codes').replaceChildren(
    ...c.script.replies.map((r) =>
      el('li', {}, el('code', { text: r.code }), el('span', { text: ` — ${L(r.meaning)}` })),
    ),
  );
  $('script-days-box').hidden = !c.script.daysLeft;
  $('script-days').textContent = L(c.script.daysLeft);
  const shown = c.timeline.filter((e) => e.kind !== 'sms-status');
  $('timeline').replaceChildren(
    ...shown.map((e) =>
      el(
        'li',
        { className: e.kind, 'data-kind': e.kind },
        el('time', { text: almaty(e.at) }),
        ...entryBody(e),
        technical(e),
      ),
    ),
  );
}

async function done(word, id) {
  await openConversation(id);
  $('action-done').textContent = t(word);
  $('action-done').hidden = false;
}

async function annotate() {
  const id = detail?.id;
  if (!id) return;
  await api(`/v1/conversations/${encodeURIComponent(id)}/notes`, {
    method: 'POST',
    body: { text: $('note-text').value.trim() },
  });
  $('note-text').value = '';
  await done('actions.noted', id);
}

/** Follows the open conversation: a cheap version check, the full view only when it changed. */
async function poll() {
  const c = detail;
  if (!c || document.hidden) return;
  const mine = generation;
  const v = await api(`/v1/conversations/${encodeURIComponent(c.id)}/version`);
  if (mine !== generation || detail?.id !== c.id) return;
  if (version !== null && v.version !== version) {
    const fresh = await api(withQuery(`/v1/conversations/${encodeURIComponent(c.id)}`, unmaskQuery()));
    if (mine !== generation || detail?.id !== c.id) return;
    detail = fresh;
  }
  version = v.version;
  updatedAt = almatyNow();
  renderDetail();
}

function watchIdle() {
  const touch = () => {
    lastActivity = Date.now();
  };
  for (const event of ['keydown', 'pointerdown', 'pointermove', 'wheel', 'touchstart']) {
    document.addEventListener(event, touch, { passive: true });
  }
  setInterval(() => {
    const idleMs = Number(document.body.dataset.idleMs) || 180_000;
    if ((listing || detail) && Date.now() - lastActivity > idleMs) {
      clearScreen();
      $('idle').hidden = false;
    }
  }, 500);
}

async function schedulePoll() {
  await poll().catch(() => undefined);
  setTimeout(schedulePoll, Number(document.body.dataset.pollMs) || 4000);
}

function showSearchFields() {
  const by = $('search-by').value;
  for (const node of document.querySelectorAll('[data-by]')) node.hidden = node.dataset.by !== by;
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
  showSearchFields();
  on('key-form', 'submit', () => setKey($('key').value.trim()));
  on('key-forget', 'click', () => setKey(null));
  on('search-form', 'submit', search);
  on('search-by', 'change', showSearchFields);
  on('note-form', 'submit', annotate);
  on('key-create-form', 'submit', createKey);
  on('keys-show', 'click', showKeys);
  on('more', 'click', () => (listing?.more ? showWorklist(listing.more.name, listing.more.cursor) : null));
  for (const button of document.querySelectorAll('[data-list]')) {
    button.addEventListener('click', () =>
      showWorklist(button.dataset.list).catch((e) => showError(e.message)),
    );
  }
  on('campaign-form', 'submit', () => showCampaign($('campaign-id').value.trim()));
  on('lang', 'change', async () => {
    sessionStorage.setItem(LANG, lang());
    await loadWords(lang());
    showRole();
    if (listing) renderList();
    renderDetail();
    renderKeys();
  });
  watchIdle();
  setTimeout(schedulePoll, Number(document.body.dataset.pollMs) || 4000);
}

/** A supervisor's list of people's keys (never the keys themselves). */
async function showKeys() {
  keyList = (await api('/v1/keys')).keys;
  renderKeys();
}

function renderKeys() {
  $('key-rows').replaceChildren(
    ...(keyList ?? []).map((k) => {
      const revoke = el('button', {
        type: 'button',
        text: t('keys.revoke'),
        'data-testid': `revoke-${k.person}`,
      });
      revoke.addEventListener('click', () => {
        api(`/v1/keys/${encodeURIComponent(k.id)}/revoke`, {
          method: 'POST',
          body: { reason: $('revoke-reason').value.trim() },
        })
          .then(() => {
            showError('');
            return showKeys();
          })
          .catch((err) => showError(err.message));
      });
      return el(
        'tr',
        { 'data-testid': 'key-row' },
        el('td', { text: k.person, className: 'data', 'data-label': t('keys.person') }),
        el('td', { text: t(`keys.roles.${k.role}`), 'data-label': t('keys.role') }),
        el('td', { text: almaty(k.createdAt), 'data-label': t('keys.created') }),
        el('td', { text: k.createdBy, className: 'data', 'data-label': t('keys.by') }),
        el('td', {}, revoke),
      );
    }),
  );
}

async function createKey() {
  const made = await api('/v1/keys', {
    method: 'POST',
    body: { person: $('new-person').value.trim(), role: $('new-role').value },
  });
  $('new-person').value = '';
  $('new-key').textContent = made.key;
  $('new-key-box').hidden = false;
  await showKeys();
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

main().catch((err) => showError(String(err)));
