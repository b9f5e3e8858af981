/**
 * A campaign's counts by state per carrier (store/lua/campaign-move-2.lua): whichever order a
 * conversation's state and its carrier arrive in, each carrier's counts follow it, a second try
 * elsewhere moves it, and its record goes when it ends for good.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { CampaignStore } from '../../store/campaigns.js';
import { createKeys } from '../../store/keys.js';
import { redisClient, testPrefix } from '../support/redis.js';

const redis = redisClient();
afterAll(async () => {
  await redis.quit();
});

describe('campaign counts per carrier', () => {
  it('follow each conversation through its states and carriers, in whichever order they arrive', async () => {
    const keys = createKeys(testPrefix('cc'));
    const store = new CampaignStore(redis, keys);
    const c = 'c-1';
    // a: state first, then the carrier; b: the carrier before its first state is recorded.
    await store.moveState(c, { id: 'a', from: null, to: 'invited', ended: false }, 1);
    await store.carrierAccepted(c, 'a', 'kcell');
    await store.carrierAccepted(c, 'b', 'beeline');
    await store.moveState(c, { id: 'b', from: null, to: 'invited', ended: false }, 2);
    // c: no SMSC accepted its invitation yet.
    await store.moveState(c, { id: 'c', from: null, to: 'waiting', ended: false }, 3);
    expect(await store.progress(c)).toMatchObject({
      states: { invited: 2, waiting: 1 },
      carriers: { kcell: { states: { invited: 1 } }, beeline: { states: { invited: 1 } } },
    });

    // a's invitation goes once more through beeline (kcell: "not our subscriber"); a accepted again there.
    await store.carrierAccepted(c, 'a', 'beeline');
    await store.carrierAccepted(c, 'a', 'beeline');
    await store.moveState(c, { id: 'a', from: 'invited', to: 'consented', ended: false }, 4);
    await store.moveState(c, { id: 'b', from: 'invited', to: 'refused', ended: true }, 5);
    const progress = await store.progress(c);
    expect(progress?.states).toEqual({ consented: 1, refused: 1, waiting: 1 });
    expect(progress?.carriers).toEqual({ beeline: { states: { consented: 1, refused: 1 } } });
    // An ended conversation's record is gone; the open ones' stay.
    expect(await redis.hkeys(keys.campaignMembers(c))).toEqual(expect.arrayContaining(['a', 'c']));
    expect(await redis.hexists(keys.campaignMembers(c), 'b')).toBe(0);
  });

  it('count an invitation in `sent` once by its SMS id, however often it is repeated, its conversation a member or ended', async () => {
    const keys = createKeys(testPrefix('cc-sent'));
    const store = new CampaignStore(redis, keys);
    const c = 'c-2';
    const sms = (id: string, smsId: string) => ({ id, smsId, hour: 7, ttlSeconds: 86_400 });
    // The count before and after its state and carrier, and repeated (a job retried on Cluster).
    expect(await store.countSent(c, sms('a', '0.0'), 1)).toBe(true);
    await store.moveState(c, { id: 'a', from: null, to: 'invited', ended: false }, 1);
    expect(await store.countSent(c, sms('a', '0.0'), 2)).toBe(false);
    await store.carrierAccepted(c, 'a', 'kcell');
    await store.countSent(c, sms('a', '0.0'), 3);
    await store.moveState(c, { id: 'b', from: null, to: 'invited', ended: false }, 1);
    await store.carrierAccepted(c, 'b', 'beeline');
    await store.countSent(c, sms('b', '0.0'), 4);
    // b ends for good (its member goes); its count repeated after that still counts once.
    await store.moveState(c, { id: 'b', from: 'invited', to: 'undeliverable', ended: true }, 5);
    expect(await redis.hexists(keys.campaignMembers(c), 'b')).toBe(0);
    expect(await store.countSent(c, sms('b', '0.0'), 6)).toBe(false);
    expect(await store.progress(c)).toMatchObject({
      sent: 2,
      states: { invited: 1, undeliverable: 1 },
      carriers: { kcell: { states: { invited: 1 } }, beeline: { states: { undeliverable: 1 } } },
    });
    // Another invitation SMS of the same conversation counts.
    await store.countSent(c, sms('a', '1.0'), 7);
    await store.carrierAccepted(c, 'a', 'beeline');
    await store.moveState(c, { id: 'a', from: 'invited', to: 'consented', ended: false }, 8);
    expect(await store.progress(c)).toMatchObject({
      sent: 3,
      states: { consented: 1, undeliverable: 1 },
      carriers: { beeline: { states: { consented: 1, undeliverable: 1 } } },
    });
    expect(await redis.hget(keys.campaignMembers(c), 'a')).toBe('consented beeline');
    // The counted invitations of an hour go once no count of them can be owed any more.
    expect(await redis.ttl(keys.campaignCounted(c, 7))).toBeGreaterThan(86_000);
  });
});
