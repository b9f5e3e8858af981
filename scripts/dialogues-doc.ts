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
    'after the end gets the "deadline passed" SMS when the conversation expired or closed; and when the',
    'carrier reports undelivered an SMS that asked for consent, the conversation becomes `undeliverable`.',
    'Deadlines in working days follow the calendar of Kazakhstan (docs/calendar.md).',
    '',
    '## Before the first stage: `waiting`, and the sending window',
    '',
    '```mermaid',
    'stateDiagram-v2',
    '  [*] --> waiting: outside SEND_WINDOW, or another request of the number asks without a code',
    '  [*] --> first: inside the window, and the number free',
    '  waiting --> first: the window opens / the earlier request ends (answered, refused, expired, closed)',
    '  first: first stage (invited / awaiting_account)',
    '```',
    '',
    'A new invitation is `waiting` (no SMS, no deadline) while the sending window (`SEND_WINDOW`, default',
    '09:00-21:00 Almaty on working days of the calendar) is closed, and, for a request that asks for a',
    'reply without a service code (school meals, `3#1`), while another such request of the same number is',
    'open: one codeless question at a time, in the order the invitations arrived. A coded offer',
    '(home-schooling) never waits behind a codeless one; an information-only notice (social-portal) takes',
    'no reply and blocks none. Every other SMS the citizen did not ask for (a repeat, an expiry, blocking',
    'or assignment notice) is held for the window; answers to the citizen’s own SMS go at any hour.',
    '',
    'A stage’s deadline counts from when the SMSC accepted every part of the stage’s SMS (003 item 10:',
    '"с момента отправки SMS-сообщения"), so neither the window nor a carrier outage shortens the',
    'citizen’s time; social-portal counts its 2 months from `dataReceivedOn` (004 item 10).',
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
