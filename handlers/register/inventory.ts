// The quarterly inventory (清查核对, docs/domain.md §1.6, §6.6).
//
// The cadence `register.inventory` (1 January, April, July, October, 09:00) opens one round per
// tenant (INV-<year>-Q<n>, from the slot) and sends each custodian one card listing the carriers in
// their custody (number, alias, level, status; a page at a time) with "All held" and "Report
// missing" (the carriers picked in a multi-select) — each custodian's card a fan-out notice of its
// own, its id derived from the round and the custodian, so a slot run twice sends nothing twice.
// A confirmation is one conditional update (pending → confirmed): a double click or two instances
// record it once; the clicked card is redrawn for its custodian through the callback answer.
// Carriers reported missing are claimed per carrier (models/inventory.model.ts) and handed to the
// incidents feature (IncidentApi.reportMissing, source key from the report), which opens the
// 10-day / 60-day countdown; an alarm set before the call retries it when the call failed for a
// passing reason (the store down). A refusal (a BotError: e.g. a carrier's status changed since the
// card was sent, so it cannot be reported missing) is permanent: it is recorded on the report, the
// security office is told (carriers, custodian, reason; the notice id from the alarm's), and the
// alarm stops. Seven days after the round opened, those who have not confirmed get their card
// again (an alarm, once).
// `/inventory` shows the security office who confirmed, who has not, and what was reported missing.
import type { Locale } from '../../bot/core/config.js';
import { type BotError, isBotError } from '../../bot/core/errors.js';
import { inventoryCard, missingOfficeCard, type InventoryCardView, type InventoryProgressView } from '../../cards/register.card.js';
import { addDays, localDate } from '../../domain/index.js';
import { bilingual } from '../../locales/index.js';
import type { Alarm } from '../../models/alarm.model.js';
import type { InventoryCheck, InventoryItem, InventoryRound, MissingRefusal, MissingResult, MissingReport } from '../../models/inventory.model.js';
import { type AlarmOutcome, notifyByLanguage } from '../../scheduler/alarms.js';
import { allCarriers, at, holders, NOTICE_TIME, OFFICE, type RegisterDeps, TOPIC } from './deps.js';

/** The statuses a custodian is asked to confirm (in stock, carried out on an approval, awaiting destruction). */
export const INVENTORY_STATUSES: readonly string[] = ['IN_STOCK', 'CHECKED_OUT', 'PENDING_DESTRUCTION'];
/** Days after the round opens when those who have not confirmed are reminded. */
export const INVENTORY_REMIND_DAYS = 7;

const tb = (key: string, params?: Record<string, unknown>) => bilingual(key, params);

/** INV-2027-Q1: the quarter of the slot's local date. */
export function roundIdOf(slot: Date, tz: string): string {
  const day = localDate(slot, tz);
  return `INV-${day.slice(0, 4)}-Q${Math.floor((Number(day.slice(5, 7)) - 1) / 3) + 1}`;
}

export const ROUND_ID = /^INV-\d{4}-Q[1-4]$/;

export const inventoryNoticeId = (tenantKey: string, roundId: string, custodianId: string) => `${tenantKey}:${TOPIC}:inv:${roundId}:${custodianId}`;
const remindKey = (roundId: string) => `${TOPIC}:inv:${roundId}:remind`;
const missingKey = (roundId: string, custodianId: string, key: string) => `${TOPIC}:inv:${roundId}:${custodianId}:${key}`;
/** The id of the missing report's alarm (`<tenant>:<key>`, models/alarm.model.ts): the office's notices derive from it. */
const missingAlarmId = (tenantKey: string, roundId: string, custodianId: string, key: string) => `${tenantKey}:${missingKey(roundId, custodianId, key)}`;

/** What became of a missing report's incident: opened, refused for good, or not yet (no feature, retry). */
export interface IncidentOutcome {
  incidentId?: string;
  refused?: MissingRefusal;
}

export function cardView(c: InventoryCheck): InventoryCardView {
  return {
    roundId: c.roundId,
    custodianId: c.custodianId,
    items: c.items,
    state: c.state,
    ...(c.confirmedAt ? { confirmedAt: c.confirmedAt } : {}),
    missing: c.missing,
    incidents: Object.values(c.reports ?? {}).flatMap((r) => (r.incidentId ? [r.incidentId] : [])),
  };
}

export class Inventory {
  constructor(private readonly d: RegisterDeps) {}

  /** The quarterly run: a round per tenant with carriers in custody. */
  async run(slot: Date): Promise<string> {
    const roundId = roundIdOf(slot, this.d.timezone);
    let rounds = 0;
    let cards = 0;
    const failed: string[] = [];
    for (const tenantKey of await this.d.tenants()) {
      try {
        const r = await this.start(tenantKey, slot);
        if (r) {
          rounds++;
          cards += r.custodians;
        }
      } catch (err) {
        this.d.logger.error('register: inventory round failed', { tenantKey, roundId, err: (err as Error).message });
        failed.push(tenantKey);
      }
    }
    if (failed.length) throw new Error(`inventory ${roundId} failed for ${failed.length} tenant(s); ${rounds} opened`);
    return `${roundId}: ${rounds} rounds, ${cards} custodians asked`;
  }

  /** Opens (once) a tenant's round for the slot: one check and one card per custodian, the reminder alarm. */
  async start(tenantKey: string, slot: Date): Promise<{ round: InventoryRound; custodians: number } | null> {
    const tz = this.d.timezone;
    const now = this.d.now();
    const roundId = roundIdOf(slot, tz);
    const byCustodian = new Map<string, InventoryItem[]>();
    const unassigned: string[] = [];
    let count = 0;
    for await (const c of allCarriers(this.d, tenantKey)) {
      if (!INVENTORY_STATUSES.includes(c.status)) continue;
      count++;
      if (!c.custodianId) {
        unassigned.push(c.number);
        continue;
      }
      const list = byCustodian.get(c.custodianId) ?? [];
      list.push({ number: c.number, alias: c.alias, level: c.level, status: c.status });
      byCustodian.set(c.custodianId, list);
    }
    if (count === 0) return null;
    const remindAt = at(addDays(localDate(slot, tz), INVENTORY_REMIND_DAYS), NOTICE_TIME, tz);
    const { round, created } = await this.d.inventory.createRound({
      tenantKey,
      id: roundId,
      slot,
      startedAt: now,
      remindAt,
      custodians: byCustodian.size,
      carriers: count,
      unassigned,
    });
    if (created)
      await this.d.audit.record(tenantKey, {
        actorId: 'system',
        action: 'inventory.start',
        objectType: 'inventory',
        objectId: roundId,
        channel: 'system',
        outcome: 'ok',
        effectKey: `${TOPIC}:inv:${roundId}:start`,
        details: { custodians: byCustodian.size, carriers: count, unassigned: unassigned.length },
      });
    // The reminder first: a crash after it still reminds; set twice it is one alarm.
    await this.d.alarms.set(tenantKey, { key: remindKey(roundId), topic: TOPIC, subject: `inv:${roundId}`, kind: 'remind', dueAt: round.remindAt, params: { roundId } }, now);
    for (const [custodianId, items] of [...byCustodian.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
      const { check } = await this.d.inventory.createCheck({ tenantKey, roundId, custodianId, items, createdAt: now });
      await this.send(check, inventoryNoticeId(tenantKey, roundId, custodianId));
    }
    return { round, custodians: byCustodian.size };
  }

  /** A custodian's card through the fan-out (idempotent by `id`). */
  private async send(check: InventoryCheck, id: string, reminder = false): Promise<void> {
    const view = cardView(check);
    await notifyByLanguage(this.d.notify, {
      id,
      tenantKey: check.tenantKey,
      title: `${check.roundId}${reminder ? ' reminder' : ''}`,
      recipients: [check.custodianId],
      draw: (lang: Locale) => inventoryCard(view, { tb, lang, timeZone: this.d.timezone, ...(reminder ? { reminder: true } : {}) }),
    });
  }

  /** The 7-day reminder: each custodian who has not confirmed gets their card again. */
  async remind(a: Alarm): Promise<AlarmOutcome> {
    const roundId = String(a.params?.roundId ?? '');
    const pending = await this.d.inventory.checksOf(a.tenantKey, roundId, 'pending');
    if (pending.length === 0) return 'skip';
    for (const c of pending) await this.send(c, `${a._id}:${c.custodianId}`, true);
    return 'done';
  }

  /** "All held" (or "all the others held" after a missing report): recorded once. */
  async confirm(tenantKey: string, roundId: string, custodianId: string): Promise<'confirmed' | 'already' | 'not_found'> {
    const r = await this.d.inventory.confirm(tenantKey, roundId, custodianId, this.d.now());
    if (r === 'confirmed')
      await this.d.audit.record(tenantKey, {
        actorId: custodianId,
        action: 'inventory.confirm',
        objectType: 'inventory',
        objectId: roundId,
        channel: 'card',
        outcome: 'ok',
        effectKey: `${TOPIC}:inv:${roundId}:${custodianId}:confirm`,
      });
    return r;
  }

  /**
   * "Report missing": the carriers not reported yet are recorded (once each), an alarm is set to
   * make sure the incident is opened, and it is opened now (the alarm then finds it done).
   */
  async reportMissing(tenantKey: string, roundId: string, custodianId: string, numbers: readonly string[]): Promise<MissingResult & IncidentOutcome> {
    const now = this.d.now();
    const r = await this.d.inventory.reportMissing(tenantKey, roundId, custodianId, numbers, now);
    if (r.outcome !== 'reported') return r;
    await this.d.audit.record(tenantKey, {
      actorId: custodianId,
      action: 'inventory.missing',
      objectType: 'inventory',
      objectId: roundId,
      channel: 'card',
      outcome: 'ok',
      effectKey: `${missingKey(roundId, custodianId, r.key)}:audit`,
      details: { carriers: r.numbers },
    });
    await this.d.alarms.set(
      tenantKey,
      {
        key: missingKey(roundId, custodianId, r.key),
        topic: TOPIC,
        subject: `inv:${roundId}:${custodianId}`,
        kind: 'missing',
        dueAt: new Date(now.getTime() + 5 * 60_000),
        params: { roundId, custodianId, key: r.key },
      },
      now,
    );
    try {
      return { ...r, ...(await this.openIncident(tenantKey, roundId, custodianId, r.key)) };
    } catch (err) {
      // The alarm tries again (with back-off); the report is recorded.
      this.d.logger.warn('register: incident for a missing carrier not opened yet', { tenantKey, roundId, err: (err as Error).message });
      return r;
    }
  }

  /**
   * Opens the incident of one missing report (idempotent: by the report's source key, and not at
   * all once its incident is recorded). Without the incidents feature, the security office is told;
   * so it is when the feature refuses (a BotError: permanent, recorded on the report). Any other
   * error is thrown (passing: the alarm tries again).
   */
  async openIncident(tenantKey: string, roundId: string, custodianId: string, key: string): Promise<IncidentOutcome> {
    const check = await this.d.inventory.getCheck(tenantKey, roundId, custodianId);
    const report = check?.reports?.[key];
    if (!report) return {};
    if (report.incidentId) return { incidentId: report.incidentId };
    if (report.refused) return { refused: report.refused };
    const api = this.d.incidents();
    if (!api) {
      const office = await holders(this.d, tenantKey, OFFICE);
      const name = (await this.d.people.names(tenantKey, [custodianId]))(custodianId);
      this.d.logger.warn('register: no incidents feature; the security office is told of the missing carriers', { tenantKey, roundId });
      await notifyByLanguage(this.d.notify, {
        id: `${missingAlarmId(tenantKey, roundId, custodianId, key)}:office`,
        tenantKey,
        title: `${roundId} missing`,
        recipients: office,
        draw: () => missingOfficeCard({ roundId, custodian: name, numbers: report.numbers }, { tb }),
      });
      return {};
    }
    let incidentId: string;
    try {
      ({ incidentId } = await api.reportMissing(tenantKey, {
        carrierIds: report.numbers,
        reportedBy: custodianId,
        sourceKey: `${TOPIC}:inventory:${roundId}:${custodianId}:${key}`,
        note: `inventory ${roundId}`,
      }));
    } catch (err) {
      if (!isBotError(err)) throw err;
      return { refused: await this.refused(tenantKey, roundId, custodianId, key, report, err) };
    }
    await this.d.inventory.setIncident(tenantKey, roundId, custodianId, key, incidentId);
    return { incidentId };
  }

  /**
   * The incidents feature refused a report's incident: the audit, the security office's notice (its
   * id from the alarm's, so a retry reaches nobody twice), then the refusal on the report — last, so
   * a crash before it leaves the alarm to do it all again (each part once in effect).
   */
  private async refused(tenantKey: string, roundId: string, custodianId: string, key: string, report: MissingReport, err: BotError): Promise<MissingRefusal> {
    const refusal: MissingRefusal = { at: this.d.now(), code: err.key, reason: err.text ?? bilingual(err.key, err.params) };
    const alarmId = missingAlarmId(tenantKey, roundId, custodianId, key);
    this.d.logger.warn('register: the incidents feature refused a missing report', { tenantKey, roundId, carriers: report.numbers, code: err.key });
    await this.d.audit.record(tenantKey, {
      actorId: 'system',
      action: 'inventory.incident_refused',
      objectType: 'inventory',
      objectId: roundId,
      channel: 'system',
      outcome: 'refused',
      reason: err.key,
      effectKey: `${alarmId}:refused:audit`,
      details: { carriers: report.numbers, custodian: custodianId },
    });
    const office = await holders(this.d, tenantKey, OFFICE);
    if (office.length === 0) this.d.logger.error('register: nobody in the security office to hear of a refused missing report', { tenantKey, roundId, carriers: report.numbers });
    const name = (await this.d.people.names(tenantKey, [custodianId]))(custodianId);
    await notifyByLanguage(this.d.notify, {
      id: `${alarmId}:refused`,
      tenantKey,
      title: `${roundId} missing refused`,
      recipients: office,
      draw: () => missingOfficeCard({ roundId, custodian: name, numbers: report.numbers, refused: refusal.reason }, { tb }),
    });
    await this.d.inventory.setRefused(tenantKey, roundId, custodianId, key, refusal);
    return refusal;
  }

  /** The alarm behind a missing report: opens its incident unless that was done. */
  async missingAlarm(a: Alarm): Promise<AlarmOutcome> {
    const p = a.params ?? {};
    const check = await this.d.inventory.getCheck(a.tenantKey, String(p.roundId), String(p.custodianId));
    const report = check?.reports?.[String(p.key)];
    if (!report || report.incidentId || report.refused) return 'skip';
    await this.openIncident(a.tenantKey, String(p.roundId), String(p.custodianId), String(p.key));
    return 'done';
  }

  /** A round's progress for /inventory. */
  async progress(round: InventoryRound): Promise<InventoryProgressView> {
    const checks = await this.d.inventory.checksOf(round.tenantKey, round.id);
    return {
      roundId: round.id,
      startedAt: round.startedAt,
      remindAt: round.remindAt,
      checks: checks.map((c) => {
        const v = cardView(c);
        return {
          custodianId: c.custodianId,
          carriers: c.items.length,
          state: c.state,
          ...(c.confirmedAt ? { confirmedAt: c.confirmedAt } : {}),
          missing: v.missing,
          incidents: v.incidents,
        };
      }),
      unassigned: round.unassigned ?? [],
    };
  }
}
