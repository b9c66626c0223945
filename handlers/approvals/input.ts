import { BotError } from '../../bot/core/errors.js';
import {
  carrierAddSpec,
  carrierListSpec,
  completeSpec,
  copySpec,
  carrySpec,
  destroySpec,
  inputErrorBi,
  inspectSpec,
  parseCommandInput,
  parseFormInput,
  type InputError,
} from '../input/index.js';
import type { CommandSpec, KeySpec } from '../input/schemas.js';
import { MAX_CC, type Level } from '../../domain/index.js';

/** The shapes handlers work with (camelCase, split into carriers and the workflow's details). */
export interface RequestInput {
  carrierNumbers: string[];
  details: Record<string, unknown>;
  /** 抄送: people to copy (open_ids, not yet checked real), when given. */
  cc?: string[];
}
export interface CompleteValue {
  copiesMade?: number;
  originalsReturned?: boolean;
  wasteRecovered?: boolean;
  deviceWiped?: boolean;
  witnesses?: string[];
  date?: string;
}
export interface CarrierAddValue {
  no: string;
  level: Level;
  type: string;
  alias: string;
  period?: string;
  issuer?: string;
  copyRestricted: boolean;
  returnToIssuer: boolean;
  pages?: number;
  count: number;
  custodian?: string;
}
export interface CarrierListValue {
  filter: { level?: Level; status?: string; carrierType?: string; custodianId?: string };
  after?: string;
}

interface Values {
  copy: RequestInput;
  carry: RequestInput;
  destroy: RequestInput;
  complete: CompleteValue;
  inspect: { ok: boolean; note?: string };
  'carrier.add': CarrierAddValue;
  'carrier.list': CarrierListValue;
}
export type InputName = keyof Values;

type Result<T> = { ok: true; value: T } | { ok: false; error: InputError };

const drop = <T extends Record<string, unknown>>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

function convert<N extends InputName>(name: N, v: Record<string, unknown>): Values[N] {
  switch (name) {
    case 'copy': {
      const { carrier, cc, ...details } = v;
      return { carrierNumbers: carrier === undefined ? [] : [carrier as string], details: drop(details), ...ccOf(cc) } as Values[N];
    }
    case 'carry':
    case 'destroy': {
      const { carrier, cc, ...details } = v;
      return { carrierNumbers: (carrier as string[] | undefined) ?? [], details: drop(details), ...ccOf(cc) } as Values[N];
    }
    case 'complete':
      return drop({
        copiesMade: v.copies_made,
        originalsReturned: v.originals_returned,
        wasteRecovered: v.waste_recovered,
        deviceWiped: v.device_wiped,
        witnesses: v.witnesses,
        date: v.date,
      }) as Values[N];
    case 'inspect':
      return drop({ ok: v.ok, note: v.note }) as Values[N];
    case 'carrier.add':
      return drop({
        no: v.no,
        level: v.level,
        type: v.type,
        alias: v.alias,
        period: v.period,
        issuer: v.issuer,
        copyRestricted: v.copy_restricted ?? false,
        returnToIssuer: v.return_to_issuer ?? false,
        pages: v.pages,
        count: v.count ?? 1,
        custodian: v.custodian,
      }) as Values[N];
    case 'carrier.list':
      return { filter: drop({ level: v.level, status: v.status, carrierType: v.type, custodianId: v.custodian }) } as Values[N];
  }
  throw new Error(`unknown input ${name}`);
}

const ccOf = (cc: unknown): { cc?: string[] } => (Array.isArray(cc) && cc.length ? { cc: cc as string[] } : {});

/**
 * 抄送 when a request is made: `cc=@a,@b` (`抄送=`), or the form's person picker. At most
 * MAX_CC people; each is checked real before the request is created.
 */
const CC_KEY: KeySpec = { canonical: 'cc', aliases: ['抄送', '抄送人'], required: false, kind: 'openIds', max: MAX_CC, default: [] };
const withCc = <T>(spec: CommandSpec<T>): CommandSpec<T> => ({ ...spec, keys: [...spec.keys, CC_KEY] });

/** The request commands with `cc=` (creating a request); a resubmission keeps its copies. */
const CREATE_SPECS = { copy: withCc(copySpec), carry: withCc(carrySpec), destroy: withCc(destroySpec) } as const;

const SPECS = {
  copy: copySpec,
  carry: carrySpec,
  destroy: destroySpec,
  complete: completeSpec,
  inspect: inspectSpec,
  'carrier.add': carrierAddSpec,
  'carrier.list': carrierListSpec,
} as const;

/** A new request's typed arguments or form, with the people to copy (`cc=` / `抄送=`, the cc picker). */
export function parseCreate(name: 'copy' | 'carry' | 'destroy', input: string | Record<string, unknown>): Result<RequestInput> {
  const spec = CREATE_SPECS[name] as Parameters<typeof parseCommandInput>[0];
  const r = typeof input === 'string' ? parseCommandInput(spec, input) : parseFormInput(spec, input, { ignoreUnknown: true });
  if (!r.ok) return r;
  return { ok: true, value: convert(name, r.value as Record<string, unknown>) };
}

/** Typed `key=value` arguments of a command. */
export function parseInput<N extends InputName>(name: N, text: string, opts: { partial?: boolean } = {}): Result<Values[N]> {
  let rest = text;
  let after: string | undefined;
  if (name === 'carrier.list') {
    // The list card's "next page" hint: `after=<number>` is paging, not a filter.
    const m = /(?:^|\s)after=(\S+)/.exec(rest);
    if (m) {
      after = m[1];
      rest = rest.replace(m[0], ' ');
    }
  }
  const spec = SPECS[name] as Parameters<typeof parseCommandInput>[0];
  const r = opts.partial ? parseCommandInput(spec, rest, { partial: true }) : parseCommandInput(spec, rest);
  if (!r.ok) return r;
  const value = convert(name, r.value as Record<string, unknown>);
  if (after) (value as CarrierListValue).after = after;
  return { ok: true, value };
}

/** The same fields from a form card's `form_value`. */
export function parseForm<N extends InputName>(name: N, formValue: Record<string, unknown>): Result<Values[N]> {
  const r = parseFormInput(SPECS[name] as Parameters<typeof parseFormInput>[0], formValue, { ignoreUnknown: true });
  if (!r.ok) return r;
  return { ok: true, value: convert(name, r.value as Record<string, unknown>) };
}

/** A parse error as a user-facing refusal, in both languages with the field named in each. */
export function inputRefusal(error: InputError): BotError {
  return BotError.localised(`input:${error.code}`, inputErrorBi(error));
}
