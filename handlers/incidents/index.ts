// The incident feature (issue 10, item 3; docs/domain.md §5): `/incident /报告 /事件` — the report
// form, the alert to the security-office head, the principal and the committee chair, the 24-hour
// external report clock (+12 h, +20 h), the 3-month result report (+60 d, +80 d), the lost-carrier
// countdown (10 days for 绝密, else 60; alerts at 50 % and 80 %; then a leak), drafts from the
// approvals' failed supervision checks, and the hash-chained INCIDENT ledger (in /ledger, /verify).
//
// Status changes post an update card (the incident as it is now) to those who had the alert; the
// card clicked is redrawn through the callback answer.
import { LedgerStore } from '../../models/ledger.model.js';
import { IncidentStore } from '../../models/incident.model.js';
import type { FeatureContext, FeatureModule, IncidentApi } from '../features.js';
import { registerIncidents } from './commands.js';
import { IncidentService } from './service.js';

export { IncidentService } from './service.js';

export function incidentsFeature(ctx: FeatureContext): FeatureModule {
  // Built on first use: the context's connection and services are touched only once the bot runs.
  let incidents: IncidentStore | undefined;
  let service: IncidentService | undefined;
  const store = () => (incidents ??= new IncidentStore(ctx.connection));
  const svc = () =>
    (service ??= new IncidentService({
      incidents: store(),
      // The store behind the approvals' ledger port, typed for every ledger (INCIDENT included).
      ledger: new LedgerStore(ctx.connection),
      alarms: ctx.alarms,
      carriers: ctx.repos.carriers,
      counters: ctx.repos.counters,
      roles: ctx.repos.roles,
      people: ctx.people,
      audit: ctx.repos.audit,
      notify: ctx.notify,
      logger: ctx.services.logger,
      timezone: ctx.timezone,
      now: ctx.now,
    }));
  const api: IncidentApi = {
    async reportMissing(tenantKey, input) {
      const { incident, created } = await svc().open(
        tenantKey,
        {
          kind: 'LOST_CARRIER',
          discoveredAt: ctx.now(),
          reporterId: input.reportedBy,
          ...(/^ou_/.test(input.reportedBy) ? { foundBy: input.reportedBy } : {}),
          carriers: input.carrierIds,
          ...(input.note ? { measures: input.note.slice(0, 500) } : {}),
        },
        { by: input.reportedBy, key: `api:${input.sourceKey}`, channel: 'system' },
      );
      return { incidentId: incident.id, created };
    },
    draft: (tenantKey, input) => svc().draft(tenantKey, input),
  };
  return {
    name: 'incident',
    init: () => store().init(),
    register: (router) => registerIncidents(router, { service: svc, incidents: store, people: ctx.people, audit: ctx.repos.audit, timezone: ctx.timezone, now: () => ctx.now() }),
    alarm: (a) => svc().alarm(a),
    api,
  };
}
