import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { createUser, USER_PASSWORD } from '../support/fixtures';
import { RoutingWorld } from '../support/telephony';
import type { TestGateway } from '../support/test-gateway';
import { browserSuite, type DashboardWorld, signIn, textUntil, useDashboardWorld } from './harness';

/*
 * The shares of a WEIGHTED_SHARE group on the supervisor's screen (issue 19, decisions 009 and 034): each external
 * destination's share of the group's last offers against its target, kept fresh by the live updates of the calls
 * routed, its offers today from the statistics, and a destination outside the viewer's External Destinations
 * profile shown hidden, with neither its name nor any number.
 */

jest.setTimeout(90_000);

const suite = browserSuite('the dashboard shows the shares of a WEIGHTED_SHARE group');

const SUPERVISOR = { externalDestinations: 'VIEW', queues: 'VIEW', agents: 'VIEW', agentGroups: 'VIEW', statistics: 'VIEW' } as const;

suite('the dashboard shows the shares of a WEIGHTED_SHARE group', () => {
  let t: TestGateway;
  let page: Page;
  let w: RoutingWorld;

  useDashboardWorld((x) => ({ t, page, w } = x as DashboardWorld));

  /** Two partners without a limit, shared 70/30 by a group (through the public API), and the queue that sends calls to it. */
  async function weightedWorld(): Promise<{ leeds: string; ai: string; groupId: string; queueId: string }> {
    const leeds = await w.destination({ name: 'Partner Leeds', maxSimultaneousCalls: null });
    const ai = await w.destination({ name: 'AI virtual agent', maxSimultaneousCalls: null });
    const groupId = await w.group([], [leeds, ai]);
    const queueId = await w.queue([{ groupId }]);
    await t.ok('mutation($id: ID!, $i: AgentGroupInput!) { updateAgentGroup(id: $id, input: $i) { id } }', {
      id: groupId,
      i: {
        name: 'Overflow partners', agentIds: [], externalDestinationIds: [leeds, ai], externalDistribution: 'WEIGHTED_SHARE',
        externalDestinationShares: [{ destinationId: leeds, percent: 70 }, { destinationId: ai, percent: 30 }],
      },
    }, w.admin);
    return { leeds, ai, groupId, queueId };
  }

  const route = (queueId: string, calls: number) => w.connector.dialledTo(queueId, calls);

  async function signInAs(profile: { scope: 'ALL' } | { scope: 'SELECTED'; destinationIds: string[] }): Promise<void> {
    const username = `sup-${randomUUID().slice(0, 6)}`;
    await createUser(t, w.company, { username, kind: 'SUPERVISOR', privileges: SUPERVISOR, profile });
    await signIn(page, t.url, w.company.slug, username, USER_PASSWORD);
  }

  const block = (groupId: string) => page.locator(`#share-groups section[data-group-id="${groupId}"]`);
  const shareRow = (groupId: string, destinationId: string) => block(groupId).locator(`tbody tr[data-id="${destinationId}"]`);

  it('shows each destination\'s target, then its counted share of the last offers as calls are routed, and its offers today', async () => {
    const { leeds, ai, groupId, queueId } = await weightedWorld();
    // A group that spreads its calls by spare capacity has no targets: it is not shown.
    await w.group([], [leeds]);
    await signInAs({ scope: 'ALL' });

    // Before any call: the targets, no offers yet.
    expect(await textUntil(shareRow(groupId, leeds).locator('.share-now'), (text) => text !== '')).toBe('No offers yet vs target 70%');
    expect(await shareRow(groupId, ai).locator('.share-now').textContent()).toBe('No offers yet vs target 30%');
    expect(await block(groupId).locator('h3').textContent()).toBe('Overflow partners');
    expect(await page.locator('#share-groups section').count()).toBe(1);
    expect(await block(groupId).locator('thead th').allTextContents()).toEqual(['Destination', 'Now', 'Today']);

    // Ten calls, counted 70/30 by the gateway; the page follows their live updates, with no reload.
    const dialled = await route(queueId, 10);
    expect(dialled.filter((id) => id === leeds)).toHaveLength(7);
    expect(await textUntil(shareRow(groupId, leeds).locator('.share-now'), (text) => text.includes('10 offers'))).toBe('70% of the last 10 offers vs target 70%');
    expect(await textUntil(shareRow(groupId, ai).locator('.share-now'), (text) => text.includes('10 offers'))).toBe('30% of the last 10 offers vs target 30%');
    expect(await textUntil(block(groupId).locator('.share-window'), (text) => text.includes('10'))).toBe('Counted over the last 10 offers (up to 100)');
    // Today's offers, from the statistics of the same read.
    expect(await textUntil(shareRow(groupId, leeds).locator('td.share-period'), (text) => text.includes('of 10'))).toBe('7 of 10 offers (70%)');
    expect(await textUntil(shareRow(groupId, ai).locator('td.share-period'), (text) => text.includes('of 10'))).toBe('3 of 10 offers (30%)');
    // The bar repeats the words: the share now filled, the target marked.
    expect(await shareRow(groupId, leeds).locator('.share-fill').getAttribute('style')).toBe('transform: scaleX(0.7);');
    expect(await shareRow(groupId, leeds).locator('.share-target').getAttribute('style')).toBe('left: 70%;');

    // Ten more: the window holds twenty.
    await route(queueId, 10);
    expect(await textUntil(shareRow(groupId, leeds).locator('.share-now'), (text) => text.includes('20 offers'))).toBe('70% of the last 20 offers vs target 70%');
    expect(await textUntil(shareRow(groupId, leeds).locator('td.share-period'), (text) => text.includes('of 20'))).toBe('14 of 20 offers (70%)');
  });

  it('shows a destination outside the viewer\'s profile as hidden, with neither its name nor any number, beside the one it may see', async () => {
    const { leeds, ai, groupId, queueId } = await weightedWorld();
    await route(queueId, 10);
    await signInAs({ scope: 'SELECTED', destinationIds: [leeds] });

    expect(await textUntil(shareRow(groupId, leeds).locator('.share-now'), (text) => text.includes('10 offers'))).toBe('70% of the last 10 offers vs target 70%');
    expect(await textUntil(shareRow(groupId, leeds).locator('td.share-period'), (text) => text.includes('of 10'))).toBe('7 of 10 offers (70%)');
    const hidden = block(groupId).locator('tbody tr[data-hidden]');
    expect(await hidden.count()).toBe(1);
    expect(await hidden.textContent()).toBe('Hidden destination: you may not see it');
    // Neither the hidden destination's name, nor its id, target or counts reach the panel.
    const panel = (await page.locator('#shares').textContent()) ?? '';
    expect(panel).not.toContain('AI virtual agent');
    expect(panel).not.toContain('30%');
    expect(panel).not.toContain('3 of');
    expect(await page.locator('#shares').innerHTML()).not.toContain(ai);
    expect(await block(groupId).locator(`tr[data-id="${ai}"]`).count()).toBe(0);

    // Live for this viewer too: ten more calls, and the share it may see follows them.
    await route(queueId, 10);
    expect(await textUntil(shareRow(groupId, leeds).locator('.share-now'), (text) => text.includes('20 offers'))).toBe('70% of the last 20 offers vs target 70%');
    expect(await hidden.textContent()).toBe('Hidden destination: you may not see it');
    expect(await page.locator('#shares').textContent()).not.toContain('AI virtual agent');
  });
});
