/**
 * Generates docs/dialogues.md from services/*.json, the same data the dialogue engine runs
 * (each service's states and transitions drawn in Mermaid). Run
 * `tsx scripts/dialogues-doc.ts` after changing a service; test/scenarios/dialogues-doc.test.ts
 * fails while the file is out of step.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { loadServices, type ServiceRegistry } from '../services/load.js';
import type { DeadlineSpec, ReplyRule, ServiceDefinition, StageDefinition } from '../services/schema.js';

export const DIALOGUES_DOC = fileURLToPath(new URL('../docs/dialogues.md', import.meta.url));

/** Mermaid state ids allow no dashes; stage ids are kebab-case (services/schema.ts). */
const node = (stage: string): string => stage.replace(/-/g, '_');

/** "3 working days", "3 calendar days", "2 months". */
export function describeDeadline(spec: DeadlineSpec): string {
  if ('workingDays' in spec) return `${spec.workingDays} working days`;
  if ('calendarDays' in spec) return `${spec.calendarDays} calendar days`;
  return `${spec.months} months`;
}

/** The reply as the citizen types it: `CODE#3#1`, `CODE#3#1n` (a number from the list), or `3#1`. */
export function replyText(service: ServiceDefinition, rule: ReplyRule): string {
  const prefix = service.reply.codeParam ? 'CODE#' : '';
  return `${prefix}${service.reply.question}#${rule.answer}${rule.choice === 'required' ? 'n' : ''}`;
}

interface Edge {
  readonly from: string;
  readonly to: string;
  readonly on: string;
}

function startEdges(service: ServiceDefinition): Edge[] {
  const { start } = service;
  if (typeof start === 'string') return [{ from: '[*]', to: start, on: 'invitation' }];
  const list = start.byCount;
  return [
    { from: '[*]', to: start.none, on: `invitation, ${list} empty` },
    { from: '[*]', to: start.one, on: `invitation, ${list} has one` },
    { from: '[*]', to: start.many, on: `invitation, ${list} has several` },
  ];
}

function stageEdges(service: ServiceDefinition, id: string, stage: StageDefinition): Edge[] {
  const edges: Edge[] = stage.replies.map((rule) => ({
    from: id,
    to: rule.goto,
    on: `${replyText(service, rule)}${rule.consent ? ' (consent)' : ''}`,
  }));
  for (const [name, rule] of Object.entries(stage.events)) {
    edges.push({ from: id, to: rule.goto, on: `event ${name.replace(':', ' = ')}` });
  }
  if (stage.deadline && stage.onDeadline) {
    edges.push({ from: id, to: stage.onDeadline.goto, on: `after ${describeDeadline(stage.deadline)}` });
  }
  if (stage.final) edges.push({ from: id, to: '[*]', on: '' });
  return edges;
}

function edgesOf(service: ServiceDefinition): Edge[] {
  return [
    ...startEdges(service),
    ...Object.entries(service.stages).flatMap(([id, stage]) => stageEdges(service, id, stage)),
  ];
}

function mermaid(service: ServiceDefinition): string[] {
  const states = Object.entries(service.stages).map(([id, stage]) => {
    const label = [id, `state ${stage.state}`, ...(stage.send ? [`sends ${stage.send}`] : [])].join('<br/>');
    return `  state "${label}" as ${node(id)}`;
  });
  const arrows = edgesOf(service).map((e) => {
    const from = e.from === '[*]' ? e.from : node(e.from);
    const to = e.to === '[*]' ? e.to : node(e.to);
    return `  ${from} --> ${to}${e.on ? ` : ${e.on}` : ''}`;
  });
  return ['```mermaid', 'stateDiagram-v2', ...states, ...arrows, '```'];
}

function table(service: ServiceDefinition): string[] {
  const rows = edgesOf(service)
    .filter((e) => e.to !== '[*]')
    .map((e) => {
      const to = service.stages[e.to];
      const from = e.from === '[*]' ? '(start)' : `\`${e.from}\``;
      return `| ${from} | ${e.on} | \`${e.to}\` (${to?.state ?? '?'}) | ${to?.send ? `\`${to.send}\`` : '—'} |`;
    });
  return ['| from stage | on | to stage (state) | SMS sent |', '|---|---|---|---|', ...rows];
}

function section(service: ServiceDefinition): string[] {
  const code = service.reply.codeParam;
  return [
    `## \`${service.id}\``,
    '',
    `Source: ${service.source}.`,
    '',
    code
      ? `Replies start with the service code from the invitation's \`${code}\` param (CODE below).`
      : 'Replies carry no service code.',
    '',
    ...mermaid(service),
    '',
    ...table(service),
    '',
  ];
}

/** The whole document, before formatting. */
export function renderDialoguesDoc(services: ServiceRegistry): string {
  return [
    '# Dialogues',
    '',
    '<!-- Generated from services/*.json by `npm run docs:dialogues`; a test keeps it in step. -->',
    '',
    'Each proactive service is data (`services/<id>.json`, schema in `services/schema.ts`): its stages,',
    'the contract state each stage shows (integration.md, "outcomes"), the SMS template sent on',
    'entering it, and the replies, upstream events and deadlines that leave it. The dialogue engine',
    '(`dialogue/engine.ts`) runs exactly this data; these diagrams are drawn from it.',
    '',
    'Not drawn, because they hold in every stage: a reply that is not understood gets the "not understood"',
    'SMS listing the valid replies (at most 3, one per 10 minutes) and the stage does not change; a reply',
    'after the end gets the "deadline passed" SMS when the conversation expired or closed, and the "no open',
    'request, call 1414" SMS (at most once a day) when it was answered, decided or undeliverable; and when',
    'the carrier reports undelivered an SMS that asked for consent, the conversation becomes `undeliverable`.',
    'Deadlines in working days follow the calendar of Kazakhstan (docs/calendar.md).',
    '',
    '## Before the first stage: `waiting`, and the sending window',
    '',
    '```mermaid',
    'stateDiagram-v2',
    '  [*] --> waiting: outside SEND_WINDOW, or another request of the number asks without a code',
    '  [*] --> first: inside the window, and the number free',
    '  waiting --> first: the window opens / the earlier request ends (expired, closed; answered or refused: 16 minutes after the answer)',
    '  first: first stage (invited / awaiting_account)',
    '```',
    '',
    'A new invitation is `waiting` (no SMS, no deadline) while the sending window (`SEND_WINDOW`, default',
    '09:00-21:00 Almaty on working days of the calendar) is closed, and, for a request that asks for a',
    'reply without a service code (school meals, `3#1`), while another such request of the same number is',
    'open: one codeless question at a time, in the order the invitations arrived, and none within 16',
    'minutes of the number’s last reply (below). A coded offer',
    '(home-schooling) never waits behind a codeless one; an information-only notice (social-portal) takes',
    'no reply and blocks none. Every other SMS the citizen did not ask for (a repeat, an expiry, blocking',
    'or assignment notice) is held for the window; answers to the citizen’s own SMS go at any hour.',
    'A reply that arrives after its deadline, before the sweeper fired it, is answered at once ("too',
    'late", or help); the expiry it brings about is held as the sweeper’s would be, and a school-meals',
    'repeat is not sent at all when the same reply answers it (`3#1` one second after the first 3 days).',
    'Nor is a repeat held for the morning once the citizen answers meanwhile: the reply reads as an answer',
    'to the first request, and the timeline shows the repeat `not-sent` (its record is marked so: the',
    'outbox entry `unsend`).',
    '',
    'A stage’s deadline counts from when the SMSC accepted every part of the stage’s SMS (003 item 10:',
    '"с момента отправки SMS-сообщения"), so neither the window nor a carrier outage shortens the',
    'citizen’s time; social-portal counts its 2 months from `dataReceivedOn` (004 item 10).',
    '',
    '## Retransmissions and a second identical answer',
    '',
    'A mother of two children answers `3#1` to the first request and, minutes later, `3#1` to the second.',
    'An SMSC whose `deliver_sm_resp` got lost sends the first `3#1` again. Where the SMSC relays the',
    'handset’s message reference (`user_message_reference`), the two answers differ and nothing more is',
    'needed; where it does not, they are the same bytes from the same number, and the time tells them apart:',
    '',
    '1. **Every copy is stored** before its `deliver_sm_resp` (nothing is lost at the door). The reply worker',
    '   takes a copy as a new SMS unless the same SMS (sender, bytes, the handset’s references) was taken less',
    '   than 15 minutes (`DUPLICATE_WINDOW_MS`) from the time it was received; such a copy is a',
    '   retransmission and changes nothing (`reply.decided` with `retransmission`). The worker also keeps when',
    '   the number’s last reply was received (`store/lua/reply-seen-2.lua`).',
    '2. **A question without a service code goes no sooner than 16 minutes after the number’s last reply**',
    '   (`NEXT_QUESTION_AFTER_MS`: the 15 minutes and a minute for the clocks of two processes). The',
    '   second child’s request stays `waiting` until then; the sweeper sends it.',
    '3. **The turn is decided under the number’s lock, and no reply of the number is taken while the lock is',
    '   held** (the worker waits a moment): the decision sees every reply taken before it.',
    '',
    'Why neither answer is lost or applied twice (docs/decisions/0006), given that an SMSC retransmits within 15 minutes of the',
    'first copy (carriers retry a `deliver_sm` after seconds to minutes):',
    '',
    '- A retransmission of a reply X arrives less than 15 minutes after X, so (1) finds X and the copy changes',
    '  nothing, whichever request is open by then: it can never be applied to the second question.',
    '- The citizen’s answer Y to the second question is received after that question was sent, which is at',
    '  least 16 minutes after every reply taken before the decision (2, 3). So no such reply is within 15',
    '  minutes of Y and Y is taken as new. A reply taken after the decision was routed with the second',
    '  question already open, as Y is: if it has Y’s text it already did what Y would do, once.',
    '- The second question’s deadline runs from the SMSC’s acceptance of its SMS, so the wait costs the',
    '  citizen no time. A copy that arrives more than 15 minutes after the first is taken as a new SMS: when',
    '  the first request already has its answer it changes nothing there (“after the end”), and it moves the',
    '  second question 16 minutes on.',
    '',
    ...[...services.values()].flatMap(section),
  ].join('\n');
}

/** The document as committed: formatted with the repository's Prettier settings. */
export async function dialoguesDoc(services: ServiceRegistry): Promise<string> {
  const options = (await resolveConfig(DIALOGUES_DOC)) ?? {};
  return format(renderDialoguesDoc(services), { ...options, parser: 'markdown' });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeFileSync(DIALOGUES_DOC, await dialoguesDoc(await loadServices()));
  console.log('docs/dialogues.md written');
}
