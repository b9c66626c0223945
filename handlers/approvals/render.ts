import type { Locale } from '../../bot/core/config.js';
import type { Bi, CardJson } from '../../bot/core/types.js';
import { bilingual } from '../../locales/index.js';
import { carrierCard, carrierListCard, type CarrierView, type CopySupervision } from '../../cards/carrier.card.js';
import { centreCard, myRequestsCard, pendingCard, type CentreView } from '../../cards/lists.card.js';
import { approvalCard, canDecideNow, executionCard, statusCard, witnessCard } from '../../cards/request.card.js';
import { requestFormCard, type FormPrefill } from '../../cards/request-forms.card.js';
import { forReader, oneLanguage } from '../../cards/reader.js';
import type { Kind, Request } from '../../domain/index.js';
import type { People } from './people.js';
import type { CardKind, CarrierRecord } from './ports.js';
import type { CardRenderer } from './service.js';

/** Both languages (Lark's per-text i18n picks): only where the reader cannot be known. */
const tb = (key: string, params?: Record<string, unknown>): Bi => bilingual(key, params);

/**
 * The texts of a card for one reader: their language only (`/lang` applies to cards too), so a
 * table never mixes languages ("秘密 Confidential"). Without a reader, both languages.
 */
export function tbFor(locale?: Locale): (key: string, params?: Record<string, unknown>) => Bi {
  if (!locale) return tb;
  return (key, params) => {
    const b = bilingual(key, params);
    const one = locale === 'en-US' ? b.en : b.zh;
    return { zh: one, en: one };
  };
}

/** Where a reader's language comes from (their `/lang` choice, else the bot's default). */
export interface ReaderLocales {
  get(tenantKey: string, openId: string): Promise<Locale | undefined>;
  defaultLocale: Locale;
}

export type { CopySupervision };

/** Every card of the approval feature, with names resolved through the directory. */
export class ApprovalCards implements CardRenderer {
  private readonly recent = new Map<string, CardJson>();
  /**
   * Department names seen by `prepare`, by `<tenant>:<department id>`: department ids repeat
   * across tenants (every tenant's root department is "0").
   */
  private readonly depts = new Map<string, Bi>();
  /** Person-picker candidates (active directory users) per tenant, refreshed by `prepare`. */
  private readonly pickers = new Map<string, string[]>();
  /** Holders' languages seen by `prepare`, by `<tenant>:<open_id>`. */
  private readonly langs = new Map<string, Locale>();

  constructor(
    private readonly people: People,
    private readonly timeZone: string,
    private readonly now: () => Date = () => new Date(),
    /** When given, each holder's card is drawn in the holder's language. */
    private readonly locales?: ReaderLocales,
  ) {}

  /**
   * Synchronous: the caller has resolved the names already (the service does). A card depends on
   * the request version and the kind (and, for a witness card, on the holder): the same card is
   * rendered once for every holder and for the click's answer alike.
   */
  render(tenantKey: string, kind: CardKind, request: Request, names: (openId: string) => Bi, holder?: string): CardJson {
    // An approver whose step is over (or not yet) holds the same card without the decision form.
    const spectator = kind === 'approval' && holder !== undefined && !canDecideNow(request, holder);
    // 抄送: a status card held by anyone but the requester is a read-only copy.
    const copy = kind === 'status' && holder !== undefined && holder !== request.requesterId;
    // The holder's language when known (prepare looked it up), else both languages.
    const lang = holder !== undefined ? this.langs.get(`${tenantKey}:${holder}`) : undefined;
    // Request ids repeat across tenants: the tenant is part of the key.
    const key = `${tenantKey}:${request.id}:${request.version}:${kind}:${kind === 'witness' ? holder : ''}:${spectator ? 's' : ''}${copy ? 'c' : ''}:${lang ?? ''}:${Math.floor(this.now().getTime() / 60_000)}`;
    const hit = this.recent.get(key);
    if (hit) return hit;
    const card = this.draw(tenantKey, kind, request, names, holder, lang);
    if (this.recent.size >= 500) this.recent.delete(this.recent.keys().next().value!);
    this.recent.set(key, card);
    return card;
  }

  private draw(
    tenantKey: string,
    kind: CardKind,
    request: Request,
    allNames: (openId: string) => Bi,
    holder?: string,
    lang?: Locale,
    nudgeBlockedUntil?: string,
    transfer?: readonly string[],
  ): CardJson {
    const drawn = this.drawIn(tenantKey, kind, request, lang ? (id) => oneLanguage(allNames(id), lang) : allNames, holder, lang, nudgeBlockedUntil, transfer);
    return lang ? forReader(drawn, lang) : drawn;
  }

  private drawIn(
    tenantKey: string,
    kind: CardKind,
    request: Request,
    names: (openId: string) => Bi,
    holder?: string,
    lang?: Locale,
    nudgeBlockedUntil?: string,
    transfer?: readonly string[],
  ): CardJson {
    const opts = {
      tb: tbFor(lang),
      names,
      now: this.now(),
      timeZone: this.timeZone,
      dept: (id: string) => {
        const d = this.depts.get(`${tenantKey}:${id}`) ?? { zh: id, en: id };
        return lang ? oneLanguage(d, lang) : d;
      },
    };
    switch (kind) {
      case 'approval':
        return approvalCard(request, { ...opts, ...(holder !== undefined ? { viewer: holder } : {}), ...(transfer ? { transfer: { candidates: transfer } } : {}) });
      case 'status':
        if (holder !== undefined && holder !== request.requesterId) return statusCard(request, { ...opts, readOnly: true });
        return statusCard(request, nudgeBlockedUntil ? { ...opts, nudgeBlockedUntil } : opts);
      case 'execution':
        return executionCard(request, { ...opts, witnessCandidates: this.pickers.get(tenantKey) ?? [] });
      case 'witness':
        return witnessCard(request, holder ?? '', opts);
    }
  }

  /** Resolves what a request's cards show besides the request: people's and the department's names. */
  async prepare(tenantKey: string, request: Request): Promise<(openId: string) => Bi> {
    const deptKey = `${tenantKey}:${request.deptId}`;
    if (request.deptId && !this.depts.has(deptKey)) {
      if (this.depts.size > 2000) this.depts.clear();
      this.depts.set(deptKey, await this.people.deptName(tenantKey, request.deptId));
    }
    // The destruction execution card picks witnesses from the directory's active users.
    if (request.kind === 'DESTROY' && request.state === 'APPROVED') this.pickers.set(tenantKey, await this.people.candidates(tenantKey));
    if (this.locales) {
      const loc = this.locales;
      if (this.langs.size > 5000) this.langs.clear();
      await Promise.all(
        peopleOf(request).map(async (id) => {
          const l = (await loc.get(tenantKey, id).catch(() => undefined)) ?? loc.defaultLocale;
          this.langs.set(`${tenantKey}:${id}`, l);
        }),
      );
    }
    return this.people.names(tenantKey, peopleOf(request));
  }

  /** For handlers: resolves the names, then renders. */
  async renderFresh(tenantKey: string, kind: CardKind, request: Request, holder?: string): Promise<CardJson> {
    return this.render(tenantKey, kind, request, await this.prepare(tenantKey, request), holder);
  }

  /** The requester's status card right after a nudge: when the next one is possible, no button. */
  async statusAfterNudge(tenantKey: string, request: Request, holder: string, nudgeBlockedUntil: string): Promise<CardJson> {
    const names = await this.prepare(tenantKey, request);
    return this.draw(tenantKey, 'status', request, names, holder, this.langs.get(`${tenantKey}:${holder}`), nudgeBlockedUntil);
  }

  /**
   * The approver's card with the transfer form open (转交): the person picker offers `candidates`
   * (People.transferCandidates), plus their names. Drawn for the click's answer only.
   */
  async approvalWithTransfer(tenantKey: string, request: Request, holder: string, candidates: readonly string[]): Promise<CardJson> {
    const names = await this.prepare(tenantKey, request);
    return this.draw(tenantKey, 'approval', request, names, holder, this.langs.get(`${tenantKey}:${holder}`), undefined, candidates);
  }

  /** The approval centre for its reader, in their language (`locale`). */
  async centre(tenantKey: string, view: CentreView, locale?: Locale): Promise<CardJson> {
    const ids = (view.watch ?? []).flatMap((w) => w.who);
    const all = await this.people.names(tenantKey, ids);
    const names = locale ? (id: string) => oneLanguage(all(id), locale) : all;
    const c = centreCard(view, { tb: tbFor(locale), names, timeZone: this.timeZone });
    return locale ? forReader(c, locale) : c;
  }

  /**
   * The request form pre-filled with a returned request (edit and resubmit), for its requester:
   * `carriers` are the ones they may pick (theirs in stock, and the request's own).
   */
  editForm(request: Request, carriers: CarrierRecord[], who: { owner: string; people?: readonly string[] }, locale?: Locale): CardJson {
    const prefill: FormPrefill = {
      requestId: request.id,
      version: request.version,
      carriers: request.carriers.map((c) => c.number),
      details: request.details as unknown as Record<string, unknown>,
    };
    const c = requestFormCard(request.kind, {
      tb: tbFor(locale),
      carriers: carriers.map((x) => ({ number: x.number, level: x.level, alias: x.alias })),
      ...who,
      prefill,
    });
    return locale ? forReader(c, locale) : c;
  }

  /** A request form for `owner` (only they may submit it), with person-picker candidates `people`, in `locale`. */
  form(kind: Kind, carriers: CarrierRecord[], who: { owner?: string; people?: readonly string[] } = {}, locale?: Locale): CardJson {
    const c = requestFormCard(kind, { tb: tbFor(locale), carriers: carriers.map((c) => ({ number: c.number, level: c.level, alias: c.alias })), ...who });
    return locale ? forReader(c, locale) : c;
  }

  /** One carrier; a copy shows the supervision record of the request that made it. */
  /** One carrier, in the reader's language (`locale`; both languages without one). */
  async carrier(tenantKey: string, c: CarrierRecord, supervision?: CopySupervision, locale?: Locale): Promise<CardJson> {
    const all = await this.people.names(tenantKey, c.custodianId ? [c.custodianId] : []);
    const names = locale ? (id: string) => oneLanguage(all(id), locale) : all;
    const card = carrierCard(toView(c), { tb: tbFor(locale), names, ...(supervision ? { supervision } : {}) });
    return locale ? forReader(card, locale) : card;
  }

  /** `mineOnly`: the list is the reader's own carriers (held or asked for), not the register. */
  async carrierList(tenantKey: string, items: CarrierRecord[], next?: string, opts: { mineOnly?: boolean; locale?: Locale } = {}): Promise<CardJson> {
    const all = await this.people.names(
      tenantKey,
      items.flatMap((c) => (c.custodianId ? [c.custodianId] : [])),
    );
    const { locale } = opts;
    const names = locale ? (id: string) => oneLanguage(all(id), locale) : all;
    const card = carrierListCard(items.map(toView), { tb: tbFor(locale), names, ...(next ? { nextCursor: next } : {}), ...(opts.mineOnly ? { mineOnly: true } : {}) });
    return locale ? forReader(card, locale) : card;
  }

  /** `/my`, in the reader's language (`locale`). */
  async myRequests(tenantKey: string, requests: Request[], locale?: Locale): Promise<CardJson> {
    const all = await this.people.names(tenantKey, requests.flatMap(peopleOf));
    const names = locale ? (id: string) => oneLanguage(all(id), locale) : all;
    const c = myRequestsCard(requests, { tb: tbFor(locale), names, timeZone: this.timeZone });
    return locale ? forReader(c, locale) : c;
  }

  /** `/pending`, in the reader's language (`locale`). */
  async pending(tenantKey: string, requests: Request[], locale?: Locale): Promise<CardJson> {
    const all = await this.people.names(tenantKey, requests.flatMap(peopleOf));
    const names = locale ? (id: string) => oneLanguage(all(id), locale) : all;
    const c = pendingCard(requests, { tb: tbFor(locale), names, timeZone: this.timeZone });
    return locale ? forReader(c, locale) : c;
  }
}

export function peopleOf(r: Request): string[] {
  const ids = new Set<string>([r.requesterId]);
  for (const s of r.steps) {
    s.assignees.forEach((a) => ids.add(a));
    if (s.decidedBy) ids.add(s.decidedBy);
  }
  if (r.kind === 'CARRY_OUT') r.details.companions.forEach((c) => ids.add(c));
  (r.cc ?? []).forEach((c) => ids.add(c));
  // The timeline names everyone who acted, and to whom a step was handed (转交).
  for (const h of r.history) {
    if (h.actorId !== 'system') ids.add(h.actorId);
    if (h.to) ids.add(h.to);
  }
  if (r.kind === 'DESTROY') {
    r.details.witnesses.forEach((w) => ids.add(w));
    r.details.confirmedWitnesses.forEach((w) => ids.add(w));
    if (r.details.executorId) ids.add(r.details.executorId);
  }
  return [...ids];
}

function toView(c: CarrierRecord): CarrierView {
  return {
    number: c.number,
    level: c.level,
    carrierType: c.carrierType,
    alias: c.alias,
    ...(c.period ? { period: c.period } : {}),
    ...(c.issuer ? { issuer: c.issuer } : {}),
    copyRestricted: c.copyRestricted,
    mustReturnToIssuer: c.mustReturnToIssuer,
    ...(c.pages !== undefined ? { pages: c.pages } : {}),
    count: c.count,
    ...(c.custodianId ? { custodianId: c.custodianId } : {}),
    status: c.status as CarrierView['status'],
    origin: c.origin,
    ...(c.parentNumber ? { parentNumber: c.parentNumber } : {}),
  };
}
