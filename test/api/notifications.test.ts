/**
 * The notification centre and preferences (PGlite and PostgreSQL): notifications appear after the
 * change that caused them committed, unread first; read, read-all and dismiss; another user's
 * notification is 404; preferences are validated strictly and honoured per channel; handling an
 * event twice creates and sends nothing twice.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageId, notificationConsumer, purgeNotifications } from '../../src/modules/notify/index.js';
import type { MailMessage } from '../../src/platform/mail/index.js';
import { writeOutbox, type OutboxEvent } from '../../src/platform/outbox/index.js';
import { TEST_PASSWORD, startTestBank, type Customer, type TestBank } from '../support/bank.js';
import { API, expectProblem, expectUnprocessable, fundedAccount, transfer, uniqueName } from './helpers.js';
import { captureMessages, mailTo, notificationsOf, setPreferences, settle, typesOf, type Outbox } from './notify-helpers.js';

describe('notifications', () => {
  let bank: TestBank;
  let outbox: Outbox;

  beforeAll(async () => {
    bank = await startTestBank({ env: { JOBS_POLL_INTERVAL_MS: '50', BANK_NAME: 'Sahakari Test Bank' } });
    outbox = captureMessages(bank);
  });
  afterAll(async () => bank.close());

  /** A customer with a funded account, and a payee account of another customer. */
  async function sender(amount = '10000.00') {
    const customer = await bank.user(uniqueName('nsend'));
    const payer = await bank.user(uniqueName('npay'));
    const account = await fundedAccount(bank, customer, amount);
    const payee = await bank.openAccount(payer, 'savings');
    // Preferences apply when an event is handled: let the funding deposit be handled first.
    await settle(bank);
    return { customer, payer, account, payee };
  }

  async function send(customer: Customer, from: string, to: string, amount: string, description?: string) {
    const reply = await transfer(bank, customer, { from_account_id: from, to_account_number: to, amount, ...(description === undefined ? {} : { description }) });
    expect(reply.status, reply.text).toBe(201);
    return reply.body;
  }

  it('lists a transfer to both sides once it committed, unread, with money as decimal strings', async () => {
    const { customer, payer, account, payee } = await sender();
    const sent = await send(customer, account.id, payee.number, '1234.50', 'Rent');
    const mine = (await notificationsOf(bank, customer)).filter((item) => item.type === 'transfer_sent');
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      type: 'transfer_sent',
      title: '₹1,234.50 sent',
      read: false,
      read_at: null,
      data: { account_id: account.id, amount: '1234.50', currency: 'INR', transfer_id: sent.id, description: 'Rent' },
    });
    expect(mine[0].body).toContain(`account XXXX${account.number.slice(-4)}`);
    const theirs = (await notificationsOf(bank, payer)).filter((item) => item.type === 'money_received');
    expect(theirs).toHaveLength(1);
    expect(theirs[0].data).toMatchObject({ account_id: payee.id, amount: '1234.50' });
    // The recipient is not told the sender's account.
    expect(JSON.stringify(theirs[0])).not.toContain(account.id);
  });

  it('lists unread first, then newest first, across pages without repeats', async () => {
    const { customer, account, payee } = await sender();
    for (const amount of ['1.00', '2.00', '3.00', '4.00']) await send(customer, account.id, payee.number, amount);
    const all = await notificationsOf(bank, customer);
    const sentTitles = all.filter((item) => item.type === 'transfer_sent').map((item) => item.title);
    expect(sentTitles).toEqual(['₹4.00 sent', '₹3.00 sent', '₹2.00 sent', '₹1.00 sent']);
    // Read the newest and the third: they move behind the unread ones, still newest first.
    const [newest, , third] = all;
    for (const item of [newest, third]) {
      expect((await bank.request('POST', `${API}/notifications/${item.id}/read`, { token: customer.token })).status).toBe(200);
    }
    const expected = [...all.filter((item) => item.id !== newest.id && item.id !== third.id), newest, third].map((item) => item.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const reply: any = await bank.request('GET', `${API}/notifications?limit=2${cursor === null ? '' : `&cursor=${cursor}`}`, { token: customer.token });
      expect(reply.status, reply.text).toBe(200);
      expect(reply.body.items.length).toBeLessThanOrEqual(2);
      expect(reply.body.unread_count).toBe(all.length - 2);
      seen.push(...reply.body.items.map((item: any) => item.id));
      cursor = reply.body.next_cursor;
      pages += 1;
    } while (cursor !== null && pages < 20);
    expect(seen).toEqual(expected);
    const unread = await notificationsOf(bank, customer, '&unread_only=true');
    expect(unread.map((item) => item.id)).toEqual(expected.slice(0, all.length - 2));
  });

  it('marks one read (keeping the first read time), all read, and dismisses', async () => {
    const { customer, account, payee } = await sender();
    await send(customer, account.id, payee.number, '5.00');
    await send(customer, account.id, payee.number, '6.00');
    const [first, second] = await notificationsOf(bank, customer);
    const read = await bank.request('POST', `${API}/notifications/${first.id}/read`, { token: customer.token });
    expect(read.status, read.text).toBe(200);
    expect(read.body).toMatchObject({ id: first.id, read: true, read_at: expect.any(String) });
    const again = await bank.request('POST', `${API}/notifications/${first.id}/read`, { token: customer.token });
    expect(again.body.read_at).toBe(read.body.read_at);

    const all = await bank.request('POST', `${API}/notifications/read-all`, { token: customer.token });
    expect(all.status, all.text).toBe(200);
    expect(all.body.updated).toBeGreaterThanOrEqual(1);
    const none = await bank.request('POST', `${API}/notifications/read-all`, { token: customer.token });
    expect(none.body).toEqual({ updated: 0 });
    const listed = await bank.request('GET', `${API}/notifications`, { token: customer.token });
    expect(listed.body.unread_count).toBe(0);
    expect(listed.body.items.every((item: any) => item.read === true)).toBe(true);

    const dismissed = await bank.request('POST', `${API}/notifications/${second.id}/dismiss`, { token: customer.token });
    expect(dismissed.status, dismissed.text).toBe(204);
    expect((await notificationsOf(bank, customer)).map((item) => item.id)).not.toContain(second.id);
    expectProblem(await bank.request('POST', `${API}/notifications/${second.id}/dismiss`, { token: customer.token }), 404, 'notification_not_found');
    expectProblem(await bank.request('POST', `${API}/notifications/${second.id}/read`, { token: customer.token }), 404, 'notification_not_found');
  });

  it("answers 404 for another user's notification and for ids that name none, and 422 for a bad cursor", async () => {
    const { customer, account, payee } = await sender();
    await send(customer, account.id, payee.number, '7.00');
    const [mine] = await notificationsOf(bank, customer);
    const stranger = await bank.user(uniqueName('nstranger'));
    const admin = await bank.user(uniqueName('nadmin'), 'admin');
    for (const caller of [stranger, admin]) {
      expectProblem(await bank.request('POST', `${API}/notifications/${mine.id}/read`, { token: caller.token }), 404, 'notification_not_found');
      expectProblem(await bank.request('POST', `${API}/notifications/${mine.id}/dismiss`, { token: caller.token }), 404, 'notification_not_found');
      const theirs = await bank.request('GET', `${API}/notifications`, { token: caller.token });
      expect(theirs.body.items.map((item: any) => item.id)).not.toContain(mine.id);
    }
    expect((await notificationsOf(bank, customer))[0]).toMatchObject({ id: mine.id, read: false });
    for (const id of ['not-a-uuid', '00000000-0000-4000-8000-000000000000', "1' or '1'='1"]) {
      expectProblem(await bank.request('POST', `${API}/notifications/${encodeURIComponent(id)}/read`, { token: customer.token }), 404, 'notification_not_found');
    }
    expectProblem(await bank.request('GET', `${API}/notifications?cursor=bm90LW91cnM`, { token: customer.token }), 422, 'invalid_cursor');
    expectProblem(await bank.request('GET', `${API}/notifications?limit=101`, { token: customer.token }), 422, 'validation_failed');
    expectProblem(await bank.request('GET', `${API}/notifications?limit=0`, { token: customer.token }), 422, 'validation_failed');
    expect((await bank.request('GET', `${API}/notifications`)).status).toBe(401);
  });

  it('e-mails with the bank name, en-IN money and escaped user text', async () => {
    const { customer, account, payee } = await sender('250000.00');
    await send(customer, account.id, payee.number, '150000.00', '<b>Rent</b> & "deposit"');
    const mail = (await mailTo(bank, outbox, customer)).filter((message) => message.subject.includes('sent'));
    expect(mail).toHaveLength(1);
    expect(mail[0]?.subject).toBe('Sahakari Test Bank: ₹1,50,000.00 sent');
    expect(mail[0]?.text).toContain('"<b>Rent</b> & "deposit""');
    expect(mail[0]?.html).toContain('&lt;b&gt;Rent&lt;/b&gt; &amp; &quot;deposit&quot;');
    expect(mail[0]?.html).not.toContain('<b>Rent');
    expect(mail[0]?.id).toMatch(/^kosh-email-/);
  });

  describe('preferences', () => {
    it('shows every alert type with its defaults, required channels and thresholds', async () => {
      const customer = await bank.user(uniqueName('npref'));
      const reply = await bank.request('GET', `${API}/notifications/preferences`, { token: customer.token });
      expect(reply.status, reply.text).toBe(200);
      const byType = new Map(reply.body.alerts.map((item: any) => [item.type, item]));
      expect([...byType.keys()]).toEqual([
        'new_device_sign_in', 'sign_in_failed', 'sign_in_locked', 'password_changed', 'two_factor_changed', 'beneficiary_added',
        'transfer_sent', 'money_received', 'low_balance', 'large_transaction', 'account_frozen', 'account_unfrozen',
      ]);
      expect(byType.get('new_device_sign_in')).toEqual({ type: 'new_device_sign_in', category: 'security', channels: { in_app: true, email: true, sms: true }, required_channels: ['in_app'], thresholds: null });
      expect(byType.get('sign_in_failed')).toMatchObject({ channels: { in_app: true, email: false, sms: false } });
      expect(byType.get('money_received')).toMatchObject({ channels: { in_app: true, email: true, sms: false }, required_channels: [] });
      expect(byType.get('low_balance')).toMatchObject({ thresholds: [] });
    });

    it('changes only what is sent, replaces thresholds and returns the result', async () => {
      const customer = await bank.user(uniqueName('npref'));
      const body = await setPreferences(bank, customer, [
        { type: 'money_received', channels: { email: false, sms: true } },
        { type: 'low_balance', thresholds: [{ amount: '500', currency: 'INR' }, { amount: 25.5, currency: 'USD' }] },
      ]);
      const byType = new Map(body.alerts.map((item: any) => [item.type, item]));
      expect(byType.get('money_received')).toMatchObject({ channels: { in_app: true, email: false, sms: true } });
      expect(byType.get('low_balance')).toMatchObject({ channels: { in_app: true, email: true, sms: false }, thresholds: [{ amount: '500.00', currency: 'INR' }, { amount: '25.50', currency: 'USD' }] });
      const next = await setPreferences(bank, customer, [{ type: 'low_balance', thresholds: [{ amount: '0.01', currency: 'INR' }] }, { type: 'money_received', channels: { email: true } }]);
      const after = new Map(next.alerts.map((item: any) => [item.type, item]));
      expect(after.get('low_balance')).toMatchObject({ thresholds: [{ amount: '0.01', currency: 'INR' }] });
      expect(after.get('money_received')).toMatchObject({ channels: { in_app: true, email: true, sms: true } });
      const cleared = await setPreferences(bank, customer, [{ type: 'low_balance', thresholds: [] }]);
      expect(cleared.alerts.find((item: any) => item.type === 'low_balance').thresholds).toEqual([]);
      // Preferences are per user.
      const other = await bank.user(uniqueName('npref'));
      const theirs = await bank.request('GET', `${API}/notifications/preferences`, { token: other.token });
      expect(theirs.body.alerts.find((item: any) => item.type === 'money_received').channels).toEqual({ in_app: true, email: true, sms: false });
    });

    it('refuses unknown types and channels, required channels and bad thresholds with stable codes, changing nothing', async () => {
      const customer = await bank.user(uniqueName('npref'));
      const before = (await bank.request('GET', `${API}/notifications/preferences`, { token: customer.token })).body;
      const cases: [unknown, string][] = [
        [{ alerts: [{ type: 'lottery_win', channels: { email: true } }] }, 'unknown_alert_type'],
        [{ alerts: [{ type: 'welcome', channels: { email: false } }] }, 'unknown_alert_type'],
        [{ alerts: [{ type: 'money_received', channels: { pigeon: true } }] }, 'unknown_channel'],
        [{ alerts: [{ type: 'password_changed', channels: { in_app: false } }] }, 'alert_channel_required'],
        [{ alerts: [{ type: 'transfer_sent', thresholds: [{ amount: '1.00', currency: 'INR' }] }] }, 'thresholds_not_supported'],
        [{ alerts: [{ type: 'low_balance', thresholds: [{ amount: '-1.00', currency: 'INR' }] }] }, 'invalid_amount'],
        [{ alerts: [{ type: 'low_balance', thresholds: [{ amount: '1.001', currency: 'INR' }] }] }, 'invalid_amount'],
        [{ alerts: [{ type: 'low_balance', thresholds: [{ amount: 'lots', currency: 'INR' }] }] }, 'invalid_amount'],
        [{ alerts: [{ type: 'large_transaction', thresholds: [{ amount: '1.00', currency: 'ZZZ' }] }] }, 'unsupported_currency'],
        [{ alerts: [{ type: 'large_transaction', thresholds: [{ amount: '1.00', currency: 'INR' }, { amount: '2.00', currency: 'INR' }] }] }, 'duplicate_threshold_currency'],
        [{ alerts: [{ type: 'money_received', channels: { email: false } }, { type: 'money_received', channels: { sms: true } }] }, 'duplicate_alert_type'],
        // All or nothing: a valid first item is not applied when a later one is refused.
        [{ alerts: [{ type: 'money_received', channels: { email: false } }, { type: 'nope' }] }, 'unknown_alert_type'],
        [{ alerts: [] }, 'validation_failed'],
        [{ alerts: [{ type: 'money_received', channels: { email: 'yes' } }] }, 'validation_failed'],
        [{ alerts: [{ type: 'money_received', muted: true }] }, 'validation_failed'],
        [{ alerts: [{ type: 'money_received' }], role: 'admin' }, 'validation_failed'],
      ];
      for (const [body, code] of cases) {
        const reply = await bank.request('PUT', `${API}/notifications/preferences`, { token: customer.token, body });
        expectUnprocessable(reply, [code]);
      }
      const after = (await bank.request('GET', `${API}/notifications/preferences`, { token: customer.token })).body;
      expect(after).toEqual(before);
    });

    it('honours each channel: in-app off writes no notification, e-mail off sends no e-mail', async () => {
      const { customer, account, payee } = await sender();
      await setPreferences(bank, customer, [{ type: 'transfer_sent', channels: { in_app: false } }]);
      await send(customer, account.id, payee.number, '11.00');
      expect(await typesOf(bank, customer)).not.toContain('transfer_sent');
      expect((await mailTo(bank, outbox, customer)).filter((message) => message.subject.includes('₹11.00 sent'))).toHaveLength(1);

      await setPreferences(bank, customer, [{ type: 'transfer_sent', channels: { in_app: true, email: false } }]);
      await send(customer, account.id, payee.number, '12.00');
      expect((await notificationsOf(bank, customer)).map((item) => item.title)).toContain('₹12.00 sent');
      expect((await mailTo(bank, outbox, customer)).filter((message) => message.subject.includes('₹12.00'))).toHaveLength(0);
    });

    it('texts only a user with a phone number, when the SMS channel is on', async () => {
      const { customer, account, payee } = await sender();
      await send(customer, account.id, payee.number, '13.00');
      await settle(bank);
      const before = outbox.sms.length;
      const phone = `+9198${String(Date.now()).slice(-8)}`;
      const changed = await bank.request('PUT', `${API}/users/me`, { token: customer.token, body: { phone, current_password: TEST_PASSWORD } });
      expect(changed.status, changed.text).toBe(200);
      await send(customer, account.id, payee.number, '14.00');
      await settle(bank);
      const texts = outbox.sms.slice(before).filter((message) => message.to === changed.body.phone);
      expect(texts).toHaveLength(1);
      expect(texts[0]?.text).toMatch(/^Sahakari Test Bank: ₹14.00 sent/);
      expect(texts[0]?.text.length).toBeLessThanOrEqual(160);
      await setPreferences(bank, customer, [{ type: 'transfer_sent', channels: { sms: false } }]);
      await send(customer, account.id, payee.number, '15.00');
      await settle(bank);
      expect(outbox.sms.slice(before).filter((message) => message.to === changed.body.phone)).toHaveLength(1);
    });
  });

  describe('idempotency', () => {
    /** The 'notify' consumer on the bank's database with a mailer of the test's own. */
    const consumerMailingWith = (send: (message: MailMessage) => Promise<void>) =>
      notificationConsumer({ db: bank.app.context.db, config: bank.app.context.config, mailer: { send }, sms: { send: async () => undefined } });

    it('creates and sends nothing twice when an event is handled again', async () => {
      const customer = await bank.user(uniqueName('nidem'));
      const mail: MailMessage[] = [];
      const consumer = consumerMailingWith(async (message) => void mail.push(message));
      const event: OutboxEvent = {
        id: `9${Date.now()}`,
        topic: 'user.password_changed',
        userIds: [customer.userId, customer.userId],
        payload: { user_id: customer.userId },
        createdAt: new Date(),
      };
      await consumer.handle(event);
      await consumer.handle(event);
      await consumer.handle(event);
      const rows = await sql<{ n: number }>`select count(*)::int as n from notifications where event_id = ${event.id}`.execute(bank.app.context.db);
      expect(rows.rows[0]?.n).toBe(1);
      expect(mail.map((message) => message.subject)).toEqual(['Sahakari Test Bank: Your password was changed']);
      const deliveries = await sql<{ state: string }>`select state from notification_deliveries where event_id = ${event.id}`.execute(bank.app.context.db);
      expect(deliveries.rows).toEqual([{ state: 'sent' }]);
      // Handled at the same moment, an event still gives one notification, and any repeat of a
      // message carries the same id (Message-ID) as the first.
      const racing: OutboxEvent = { ...event, id: `${event.id}1` };
      await Promise.all([consumer.handle(racing), consumer.handle(racing), consumer.handle(racing)]);
      const raced = await sql<{ n: number }>`select count(*)::int as n from notifications where event_id = ${racing.id}`.execute(bank.app.context.db);
      expect(raced.rows[0]?.n).toBe(1);
      expect(new Set(mail.slice(1).map((message) => message.id)).size).toBe(1);
    });

    it('retries a failed e-mail without repeating the in-app notification, and sends it once', async () => {
      const customer = await bank.user(uniqueName('nretry'));
      const mail: MailMessage[] = [];
      let failures = 1;
      const consumer = consumerMailingWith(async (message) => {
        if (failures > 0) {
          failures -= 1;
          throw new Error('SMTP server unavailable');
        }
        mail.push(message);
      });
      const event: OutboxEvent = { id: `8${Date.now()}`, topic: 'user.two_factor_enabled', userIds: [customer.userId], payload: { user_id: customer.userId }, createdAt: new Date() };
      await expect(consumer.handle(event)).rejects.toThrow('SMTP server unavailable');
      await consumer.handle(event);
      await consumer.handle(event);
      expect(mail).toHaveLength(1);
      expect(mail[0]?.subject).toBe('Sahakari Test Bank: Two-factor authentication turned on');
      const rows = await sql<{ n: number }>`select count(*)::int as n from notifications where event_id = ${event.id}`.execute(bank.app.context.db);
      expect(rows.rows[0]?.n).toBe(1);
    });

    it('sends again a message whose sending a crash left unrecorded', async () => {
      const customer = await bank.user(uniqueName('ncrash'));
      const mail: MailMessage[] = [];
      let dieAfterSending = true;
      const consumer = consumerMailingWith(async (message) => {
        mail.push(message);
        if (dieAfterSending) {
          dieAfterSending = false;
          throw new Error('connection lost before the server confirmed');
        }
      });
      const event: OutboxEvent = { id: `7${Date.now()}`, topic: 'user.password_changed', userIds: [customer.userId], payload: { user_id: customer.userId }, createdAt: new Date() };
      await expect(consumer.handle(event)).rejects.toThrow('connection lost');
      await consumer.handle(event);
      await consumer.handle(event);
      expect(mail).toHaveLength(2);
      expect(mail[1]?.id).toBe(mail[0]?.id);
      expect(mail[0]?.id).toBe(messageId({ eventId: event.id, userId: customer.userId, type: 'password_changed', channel: 'email' }));
    });

    it('ignores an event about a user that does not exist', async () => {
      const missing = '00000000-0000-4000-8000-000000000001';
      await bank.app.context.transact((tx) => writeOutbox(tx, [{ topic: 'user.password_changed', userIds: [missing], payload: { user_id: missing } }]));
      await settle(bank);
    });
  });
  // Last: the purge runs over the whole bank.
  describe('retention', () => {
    it('purges dismissed notifications after 30 days and read ones after 180, keeping unread ones', async () => {
      const { customer, account, payee } = await sender();
      for (const amount of ['1.00', '2.00', '3.00']) await send(customer, account.id, payee.number, amount);
      const sent = (await notificationsOf(bank, customer)).filter((item) => item.type === 'transfer_sent');
      const [unread, read, dismissed] = sent;
      expect((await bank.request('POST', `${API}/notifications/${read.id}/read`, { token: customer.token })).status).toBe(200);
      expect((await bank.request('POST', `${API}/notifications/${dismissed.id}/dismiss`, { token: customer.token })).status).toBe(204);
      const ids = async () => (await sql<{ id: string }>`select id from notifications where id in (${unread.id}, ${read.id}, ${dismissed.id})`.execute(bank.app.context.db)).rows.map((row) => row.id).sort();
      const later = (days: number) => ({ db: bank.app.context.db, now: () => new Date(Date.now() + days * 86_400_000) });
      await purgeNotifications(later(29));
      expect(await ids()).toEqual([unread.id, read.id, dismissed.id].sort());
      await purgeNotifications(later(31));
      expect(await ids()).toEqual([unread.id, read.id].sort());
      await purgeNotifications(later(181));
      expect(await ids()).toEqual([unread.id]);
    });
  });
});
