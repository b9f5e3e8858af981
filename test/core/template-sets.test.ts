/**
 * A conversation keeps the template set it started with (templates/sets.ts): after a new act's set comes
 * into force, its follow-ups and its consent record still cite the old one, while new invitations take
 * the new one; on a day no set is in force an invitation is refused (GW_NO_TEMPLATE_SET); and a service
 * whose set misses a template stops start-up naming the set file.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../../common/errors.js';
import { parseReply } from '../../parsers/reply.js';
import { createTestCore, homeSchoolingParams, testClock, type TestCore } from '../support/core.js';
import { copyTemplates, type TemplatesCopy } from '../support/template-sets.js';

const OLD = 'home-schooling.2024-02-16';
const NEW = 'home-schooling.2026-11-25';

let copy: TemplatesCopy;
let core: TestCore;
beforeAll(async () => {
  copy = await copyTemplates();
  await copy.manifest(OLD, (m) => ({ ...m, inForce: { from: '2024-02-16', until: '2026-11-24' } }));
  await copy.addSet(
    {
      id: NEW,
      service: 'home-schooling',
      act: { title: 'An amending order', number: '№ 7', date: '2026-11-20', appendix: 'Appendix 1-5' },
      inForce: { from: '2026-11-25', until: '2026-12-31' },
      dir: 'hs-2026-11-25',
    },
    (body) => `ӨЗГЕРТІЛГЕН / ИЗМЕНЕНО\n${body}`,
  );
  // 24 Nov 2026, 11:00 in Almaty: the old set is in force.
  core = await createTestCore(testClock(Date.UTC(2026, 10, 24, 6, 0)), { templatesDir: copy.dir });
});
afterAll(async () => {
  await core?.close();
  await copy?.remove();
});

function reply(id: string, text: string, smscMessageId: string) {
  const receivedAt = core.clock.now();
  return core.conversations.apply(
    id,
    { type: 'reply', parsed: parseReply(text), reply: { text, receivedAt, smscMessageId } },
    `reply:${smscMessageId}`,
  );
}

const invite = (externalId: string, msisdn: string) =>
  core.conversations.invite({
    service: 'home-schooling',
    externalId,
    msisdn,
    language: 'ru',
    params: homeSchoolingParams(),
  });

describe('template sets across a change of act', () => {
  it('a conversation started under one set finishes under it after a new set comes into force', async () => {
    const old = core.renderer.get(OLD)!;
    const { conversation } = await invite('sets-1', '77011239001');
    expect(conversation.templateSet).toEqual({ id: OLD, sha256: old.sha256 });

    // 25 November, 10:00 in Almaty: the amending act's set is in force; new invitations take it.
    core.clock.set(Date.UTC(2026, 10, 25, 5, 0));
    const fresh = await invite('sets-2', '77011239002');
    expect(fresh.conversation.templateSet?.id).toBe(NEW);
    expect(fresh.conversation.consentTemplate?.text).toMatch(/^ӨЗГЕРТІЛГЕН \/ ИЗМЕНЕНО\n/);

    // The first conversation, answered in time, is acknowledged and decided under its own set.
    expect((await reply(conversation.id, '123#3#1', 'sets-mo-1')).status).toBe('applied');
    const job = await core.queues.assignments.getJob(conversation.id);
    expect(job?.data.consentTemplate).toMatchObject({
      wording: 'verbatim',
      set: { id: OLD, sha256: old.sha256 },
    });
    await core.conversations.upstream(conversation.id, 'decision', { outcome: 'assigned', key: 'sets-d-1' });
    const sms = (await core.store.timeline(conversation.id)).filter((e) => e.kind === 'sms');
    expect(sms.map((e) => [e.templateId, e.set])).toEqual([
      ['home-schooling.offer-one-bank', OLD],
      ['home-schooling.consent-accepted', OLD],
      ['home-schooling.assigned', OLD],
    ]);
    for (const e of sms) expect(e.text).not.toContain('ИЗМЕНЕНО');
    expect((await core.conversations.get(conversation.id))?.state).toBe('assigned');
  });

  it('an invitation on a day no set of the service is in force is refused, saying so', async () => {
    core.clock.set(Date.UTC(2027, 0, 5, 5, 0));
    const error = await invite('sets-3', '77011239003').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ code: 'GW_NO_TEMPLATE_SET', status: 422 });
    expect((error as GatewayError).message).toContain(
      'no template set of "home-schooling" is in force on 2027-01-05',
    );
    // Another service with a set in force is not affected.
    const meals = await core.conversations.invite({
      service: 'school-meals',
      externalId: 'sets-4',
      msisdn: '77011239004',
      language: 'kk',
      params: { parentFullName: 'А Б', childFullName: 'В Г' },
    });
    expect(meals.conversation.templateSet?.id).toBe('school-meals.2023-11-17');
  });
});

describe('a set that misses a template the service sends', () => {
  it('stops start-up with one line naming the set file', async () => {
    const broken = await copyTemplates();
    try {
      await broken.addSet({
        id: 'social-portal.2027-01-01',
        service: 'social-portal',
        act: { title: 'A new rule', number: '№ 9', date: '2027-01-01', appendix: 'items 9-10' },
        inForce: { from: '2027-01-01', until: null },
        dir: 'sp-2027',
      });
      await broken.manifest('social-portal.2023-08-17', (m) => ({
        ...m,
        inForce: { from: '2023-08-17', until: '2026-12-31' },
      }));
      for (const lang of ['kk', 'ru'])
        await rm(broken.path(lang, 'sp-2027', 'social-portal.choice-blocked.hbs'));
      const error = await createTestCore(testClock(), { templatesDir: broken.dir }).then(
        async (c) => {
          await c.close();
          return undefined;
        },
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ code: 'GW_TEMPLATE_INVALID' });
      const message = (error as Error).message;
      expect(message).not.toContain('\n');
      expect(message).toBe(
        'templates/sets/social-portal.2027-01-01.json: misses template social-portal.choice-blocked that services/social-portal.json sends',
      );
    } finally {
      await broken.remove();
    }
  });
});
