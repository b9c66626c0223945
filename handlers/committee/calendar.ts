// The committee meeting's Feishu calendar event (calendar.v4; issue 9 item 4), on the app's primary
// calendar with the members as attendees. Shapes checked against open.feishu.cn
// server-docs calendar-v4: calendar/primary, calendar-event/create (`idempotency_key` query),
// calendar-event/patch, calendar-event/delete (`need_notification` query), and
// calendar-event-attendee/create (`user_id_type` query, `{attendees: [{type: 'user', user_id}]}`).
import { createHash } from 'node:crypto';
import type { LarkApiError, LarkSender } from '../../bot/transports/lark/sender.js';

export interface CalendarEventInput {
  summary: string;
  description: string;
  start: Date;
  end: Date;
  timezone: string;
  location?: string;
}

/** What the meetings need of a calendar. Every call may throw; the caller retries. */
export interface MeetingCalendar {
  /** Creates the event; the same `key` within Lark's idempotency window returns the same event. */
  create(key: string, ev: CalendarEventInput): Promise<string>;
  addAttendees(eventId: string, openIds: readonly string[]): Promise<void>;
  update(eventId: string, ev: CalendarEventInput): Promise<void>;
  /** Deletes the event (attendees are told); an event already gone counts as deleted. */
  remove(eventId: string): Promise<void>;
}

/** Lark's "no such event" (also answered for an event already deleted). */
const EVENT_GONE = new Set([193001, 193002, 193003]);

const body = (ev: CalendarEventInput) => ({
  summary: ev.summary,
  description: ev.description,
  start_time: { timestamp: String(Math.floor(ev.start.getTime() / 1000)), timezone: ev.timezone },
  end_time: { timestamp: String(Math.floor(ev.end.getTime() / 1000)), timezone: ev.timezone },
  // Members see each other; they cannot edit or invite (the committee's list is fixed).
  attendee_ability: 'can_see_others',
  visibility: 'default',
  free_busy_status: 'busy',
  reminders: [{ minutes: 60 }],
  ...(ev.location ? { location: { name: ev.location } } : {}),
});

export class LarkMeetingCalendar implements MeetingCalendar {
  private calendarId: Promise<string> | undefined;

  constructor(private readonly sender: Pick<LarkSender, 'call' | 'client'>) {}

  private primary(): Promise<string> {
    this.calendarId ??= this.sender
      .call('calendar.primary', () => this.sender.client.request({ method: 'POST', url: '/open-apis/calendar/v4/calendars/primary' }))
      .then((b) => {
        const id = (b.data as { calendars?: { calendar?: { calendar_id?: string } }[] } | undefined)?.calendars?.[0]?.calendar?.calendar_id;
        if (!id) throw new Error('calendar.primary: no calendar_id in the answer');
        return id;
      })
      .catch((err: unknown) => {
        this.calendarId = undefined;
        throw err;
      });
    return this.calendarId;
  }

  private async url(eventId?: string, tail = ''): Promise<string> {
    const c = encodeURIComponent(await this.primary());
    return `/open-apis/calendar/v4/calendars/${c}/events${eventId ? `/${encodeURIComponent(eventId)}` : ''}${tail}`;
  }

  async create(key: string, ev: CalendarEventInput): Promise<string> {
    // Lark wants a short key; a hash of ours is stable across retries and instances.
    const idempotency_key = createHash('sha256').update(key).digest('hex').slice(0, 32);
    const url = await this.url();
    const b = await this.sender.call('calendar.event.create', () => this.sender.client.request({ method: 'POST', url, params: { idempotency_key }, data: body(ev) }));
    const id = (b.data as { event?: { event_id?: string } } | undefined)?.event?.event_id;
    if (!id) throw new Error('calendar.event.create: no event_id in the answer');
    return id;
  }

  async addAttendees(eventId: string, openIds: readonly string[]): Promise<void> {
    const url = await this.url(eventId, '/attendees');
    for (let i = 0; i < openIds.length; i += 100) {
      const attendees = openIds.slice(i, i + 100).map((user_id) => ({ type: 'user', user_id, is_optional: false }));
      await this.sender.call('calendar.event.attendee.create', () =>
        this.sender.client.request({ method: 'POST', url, params: { user_id_type: 'open_id' }, data: { attendees, need_notification: true } }),
      );
    }
  }

  async update(eventId: string, ev: CalendarEventInput): Promise<void> {
    const url = await this.url(eventId);
    await this.sender.call('calendar.event.patch', () => this.sender.client.request({ method: 'PATCH', url, data: body(ev) }));
  }

  async remove(eventId: string): Promise<void> {
    const url = await this.url(eventId);
    try {
      await this.sender.call('calendar.event.delete', () => this.sender.client.request({ method: 'DELETE', url, params: { need_notification: 'true' } }));
    } catch (err) {
      if (!EVENT_GONE.has((err as LarkApiError).code)) throw err;
    }
  }
}
