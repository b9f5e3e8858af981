import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CALENDAR_FILE, loadCalendarFile, type WorkingCalendar } from '../../dialogue/calendar.js';
import { newConversation, type Conversation } from '../../dialogue/conversation.js';
import { ALMATY_ZONE } from '../../dialogue/time.js';
import { chooseRecipient, mapBounded } from '../../gateway/http/invitations.js';
import { invitationSchema } from '../../gateway/http/schemas.js';
import { maskText } from '../../common/mask-text.js';
import { almatyIso, nextStep, timelineView, type ViewContext } from '../../gateway/http/view.js';
import { loadServices, type ServiceRegistry } from '../../services/load.js';
import { loadTemplates } from '../../templates/index.js';
import type { TimelineEntry } from '../../store/timeline-entry.js';
import { smsEntry } from '../support/store.js';

let services: ServiceRegistry;
let calendar: WorkingCalendar;
let ctx: (service: string, masked?: boolean) => ViewContext;

beforeAll(async () => {
  services = await loadServices();
  calendar = await loadCalendarFile(DEFAULT_CALENDAR_FILE, (p) => readFile(p, 'utf8'));
  const { locales } = await loadTemplates();
  ctx = (service, masked = true) => ({ service: services.get(service)!, calendar, locales, masked });
});

const T0 = Date.UTC(2026, 10, 24, 6, 0);
const conv = (over: Partial<Conversation> = {}): Conversation =>
  newConversation({
    id: 'c1',
    service: 'school-meals',
    externalId: 'x',
    msisdn: '77011234567',
    language: 'ru',
    params: { parentFullName: 'Айгүл Сейітқызы', childFullName: 'Арман Серікұлы' },
    createdAt: T0,
    stage: 'request',
    version: 0,
    deadline: Date.UTC(2026, 10, 27, 19, 0),
    ...over,
  });

describe('almatyIso', () => {
  it.each([
    [Date.UTC(2026, 10, 24, 6, 0), '2026-11-24T11:00:00+05:00'],
    [Date.UTC(2026, 10, 24, 19, 30, 15), '2026-11-25T00:30:15+05:00'],
    // Before 1 March 2024 Almaty was UTC+6 (dialogue/time.ts).
    [Date.UTC(2023, 5, 1, 12, 0), '2023-06-01T18:00:00+06:00'],
  ])('%s → %s', (ms, iso) => {
    expect(almatyIso(ALMATY_ZONE, ms)).toBe(iso);
    expect(new Date(iso).getTime()).toBe(Math.floor(ms / 1000) * 1000);
  });
});

describe('maskText', () => {
  it.each([
    ['Уважаемый(ая) Айгүл Сейітқызы!', 'Уважаемый(ая) А*** С***!'],
    ['Құрметті Айгүл!', 'Құрметті А***!'],
    ['Айгүлге хабарлама', 'А***ге хабарлама'],
    ['ҚызАйгүл, a name inside a word', 'ҚызАйгүл, a name inside a word'],
    ['no names here', 'no names here'],
  ])('%s → %s', (text, masked) => {
    expect(maskText(text, ['Айгүл Сейітқызы'])).toBe(masked);
  });

  it('treats regex characters in a name literally', () => {
    expect(maskText('Hello Ab.B (xy) Abc', ['Ab.B (xy)'])).toBe('Hello A***.B (x***) Abc');
  });

  it('masks whole words only: a name "Ли Ан" leaves "Анна. Личный вопрос" as written', () => {
    expect(maskText('Анна. Личный вопрос, Ли', ['Ли Ан'])).toBe('Анна. Личный вопрос, Л***');
  });

  it('a name "1" masks nothing in 123#3#1 or 1414', () => {
    expect(maskText('123#3#1 1414', ['1'])).toBe('123#3#1 1414');
  });

  it.each([
    ['my number +7 701 123 45 67', 'my number +* *** *** 45 67'],
    ['позвоните 87011234567!', 'позвоните *******4567!'],
    ['ИИН 900101300123', 'ИИН ********0123'],
    ['123#3#1 и 1414', '123#3#1 и 1414'],
  ])('masks a number that may be a phone or an IIN: %s', (text, masked) => {
    expect(maskText(text, [])).toBe(masked);
  });

  it('shows bidi and zero-width controls as visible marks, also when unmasked', () => {
    expect(maskText('ok \u202eabc\u200b', [], false)).toBe('ok [U+202E]abc[U+200B]');
  });
});

describe('nextStep', () => {
  it('names the replies valid now and the last minute in time', () => {
    expect(nextStep(conv(), ctx('school-meals'))).toEqual({
      ru: 'Ожидается ответ 3#1 или 3#2 до 27 ноября 23:59.',
      kk: 'Күтілетін жауап: 3#1 немесе 3#2. Жауап беру мерзімі: 27 қараша 23:59.',
    });
  });

  it('a conversation waiting for an account says so, with its deadline', () => {
    const c = conv({
      service: 'home-schooling',
      stage: 'no-account',
      state: 'awaiting_account',
      params: { serviceCode: '123' },
    });
    expect(nextStep(c, ctx('home-schooling')).ru).toMatch(
      /^Гражданину нужно открыть счет.*Срок: до 27 ноября 23:59\.$/,
    );
  });

  it.each(['consented', 'refused', 'closed', 'assigned'] as const)(
    'a %s conversation gets its state line',
    (state) => {
      const line = nextStep(conv({ state, stage: state, deadline: null }), ctx('school-meals'));
      expect(line.ru).not.toMatch(/\{\{|console\./);
      expect(line.kk).not.toBe(line.ru);
    },
  );
});

describe('timelineView', () => {
  const entries: TimelineEntry[] = [
    smsEntry({ at: T0, text: 'Уважаемый(ая) Айгүл Сейітқызы!' }),
    { at: T0 + 1000, kind: 'sms-status', smsId: '0.0', status: 'failed', part: 1 },
    { at: T0 + 2000, kind: 'sms-status', smsId: '0.0', status: 'delivered', part: 2 },
  ];

  it('keeps a failed part as the status of the SMS, and masks names for agents', () => {
    const [sms] = timelineView(conv(), entries, ctx('school-meals'));
    expect(sms).toMatchObject({
      text: 'Уважаемый(ая) А*** С***!',
      status: 'failed',
      statusAt: '2026-11-24T11:00:01+05:00',
    });
  });

  it('shows the names when unmasked', () => {
    expect(timelineView(conv(), entries, ctx('school-meals', false))[0]?.text).toBe(
      'Уважаемый(ая) Айгүл Сейітқызы!',
    );
  });

  it('masks a phone number and an IIN the citizen typed in a reply, and marks an override, for agents', () => {
    const reply: TimelineEntry[] = [
      {
        at: T0,
        kind: 'reply',
        text: '3#1 Айгүл, тел 87011234567, ИИН 900101300123 \u202eok',
        meaning: '',
        accepted: true,
      },
    ];
    expect(timelineView(conv(), reply, ctx('school-meals'))[0]?.text).toBe(
      '3#1 А***, тел *******4567, ИИН ********0123 [U+202E]ok',
    );
    expect(timelineView(conv(), reply, ctx('school-meals', false))[0]?.text).toBe(
      '3#1 Айгүл, тел 87011234567, ИИН 900101300123 [U+202E]ok',
    );
  });

  it('masks names and shorter numbers a citizen typed that the conversation does not know, for agents only', () => {
    const typed = (text: string): TimelineEntry[] => [
      { at: T0, kind: 'reply', text, meaning: '', accepted: false },
    ];
    const agent = (text: string) => timelineView(conv(), typed(text), ctx('school-meals'))[0]?.text;
    expect(agent('Меня зовут Данияр Ахметов, удостоверение 045123456, родился 01.02.1990')).toBe(
      'Меня зовут Д*** А***, удостоверение *******56, родился **.**.**90',
    );
    // Two capitalised words together are a name even where they open the text; courtesy capitals are not.
    expect(agent('Данияр Ахметов. Спасибо Вам, 3#1')).toBe('Д*** А***. Спасибо Вам, 3#1');
    // A reply code keeps its digits, however many; an acronym is not a name.
    expect(agent('12345#3#1 ИИН SMS')).toBe('12345#3#1 ИИН SMS');
    const supervisor = timelineView(
      conv(),
      typed('Меня зовут Данияр, дом 2501234'),
      ctx('school-meals', false),
    );
    expect(supervisor[0]?.text).toBe('Меня зовут Данияр, дом 2501234');
  });

  it('masks a name typed in lower case right after the citizen says what they are called, and not the words after it', () => {
    const agent = (text: string) =>
      timelineView(
        conv(),
        [{ at: T0, kind: 'reply', text, meaning: '', accepted: false }],
        ctx('home-schooling'),
      )[0]?.text;
    expect(agent('меня зовут данияр ахметов согласен 123#3#1')).toBe('меня зовут д*** а*** согласен 123#3#1');
    expect(agent('менің атым данияр және келісемін')).toBe('менің атым д*** және келісемін');
    expect(agent('моя фамилия ахметова, имя айгуль')).toBe('моя фамилия а***, имя айгуль');
    // Three words at most, spaces only between them; a code, a bank offered or punctuation ends them.
    expect(agent('зовут ахметов данияр серикович мне нужна помощь')).toBe(
      'зовут а*** д*** с*** мне нужна помощь',
    );
    expect(agent('меня зовут 123#3#1')).toBe('меня зовут 123#3#1');
    expect(agent('меня зовут. kaspi')).toBe('меня зовут. kaspi');
    // Without an introduction a lower-case word is not taken for a name.
    expect(agent('данияр согласен')).toBe('данияр согласен');
  });

  it('masks a number typed as a service code in how the reply was read, and keeps a code whole before a number', () => {
    const reply = (text: string, meaning: string): TimelineEntry[] => [
      { at: T0, kind: 'reply', text, meaning, accepted: false },
    ];
    const [read] = timelineView(
      conv(),
      reply('900101300123#3#1', "not understood: service code 900101300123 is not this conversation's"),
      ctx('school-meals'),
    );
    expect(read).toMatchObject({
      text: '********0123#3#1',
      meaning: "not understood: service code ********0123 is not this conversation's",
    });
    expect(timelineView(conv(), reply('123#3#1 77051234567', ''), ctx('school-meals'))[0]?.text).toBe(
      '123#3#1 *******4567',
    );
    expect(timelineView(conv(), reply('3#77051234567', ''), ctx('school-meals'))[0]?.text).toBe(
      '3#*******4567',
    );
  });

  it("leaves the banks an SMS offered readable in a reply, and an SMS's own words as written", () => {
    const banks = { banks: [{ code: 'CASP', nameKk: 'Kaspi Bank', nameRu: 'Kaspi Bank' }] };
    const withBanks = conv({
      params: { parentFullName: 'Айгүл Сейітқызы', childFullName: 'Арман Серікұлы', ...banks },
    });
    const shown = timelineView(
      withBanks,
      [
        { at: T0, kind: 'reply', text: 'у меня Kaspi Bank, Данияр', meaning: '', accepted: false },
        smsEntry({ at: T0, text: 'Для Вашего ребенка Арман в Школе 12345' }),
      ],
      ctx('school-meals'),
    );
    expect(shown.map((e) => e.text)).toEqual([
      'у меня Kaspi Bank, Д***',
      'Для Вашего ребенка А*** в Школе 12345',
    ]);
  });
});

describe('chooseRecipient (002, item 9)', () => {
  const meals = () => services.get('school-meals')!;
  const body = (recipients: Array<[string, string]>) =>
    invitationSchema.parse({
      service: 'school-meals',
      externalId: 'e',
      language: 'ru',
      params: {},
      recipients: recipients.map(([role, msisdn]) => ({ role, msisdn })),
    });

  it.each([
    [
      [
        ['father', '77010000002'],
        ['mother', '77010000001'],
      ],
      '77010000001',
    ],
    [
      [
        ['guardian', '77010000003'],
        ['father', '77010000002'],
      ],
      '77010000002',
    ],
    [[['guardian', '77010000003']], '77010000003'],
    [
      [
        ['father', '77010000004'],
        ['father', '77010000002'],
      ],
      '77010000004',
    ],
  ] as Array<[Array<[string, string]>, string]>)('%j → %s', (list, expected) => {
    expect(chooseRecipient(meals(), body(list))).toBe(expected);
  });
});

describe('mapBounded', () => {
  it('keeps results in order and never runs more than the limit at once', async () => {
    let running = 0;
    let peak = 0;
    const out = await mapBounded(
      Array.from({ length: 100 }, (_, i) => i),
      7,
      async (n) => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setImmediate(r));
        running--;
        return n * 2;
      },
    );
    expect(out).toEqual(Array.from({ length: 100 }, (_, i) => i * 2));
    expect(peak).toBe(7);
  });
});
