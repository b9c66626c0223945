// Form cards answering `/copy`, `/carry`, `/destroy` without arguments. Field names are the
// canonical keys of the typed commands (handlers/input/schemas.ts), so one parser reads both a
// typed command and the form's `action.form_value`. Pure: translator (+ the user's carriers) → card.
import { encodeAction } from './action-value.js';
import { button, card, datePicker, form, header, input, md, multiPersonPicker, multiSelect, select, type Bi } from './builder.js';
import { sentCardBytes } from './card.schema.js';
import type { Card, CardElement } from './card.types.js';
import type { Tb } from './help.card.js';
import { COPY_METHOD_KEYS, DESTROY_METHOD_KEYS, NO, YES, cat, tr } from './request.card.js';
import { DESTROY_METHODS, type Kind, type Level } from '../domain/index.js';

/** A carrier the user may pick (theirs, in stock): metadata only. */
export interface FormCarrier {
  number: string;
  level: Level;
  alias?: string;
}

export interface RequestFormOptions {
  tb: Tb;
  /** The user's carriers; without them (or with none) the carrier field is a text input. */
  carriers?: readonly FormCarrier[];
  /** Nonce source for the submit button's value (deterministic tests); default random. */
  nonce?: () => string;
  /**
   * The person the form is made for (who sent the command): their open_id goes into the submit
   * button's value, and a submission by anyone else is refused (in a group everyone sees the card).
   */
  owner?: string;
  /**
   * Who may be picked as a companion: open_ids of active directory users (at most 50, see
   * People.candidates). Explicit on purpose: Lark's empty options mean "the chat's members", which
   * in a private chat with the bot is only the user and the bot, and in a group is whoever happens
   * to be in it, not the unit. Without candidates (the directory could not be listed) the picker
   * falls back to the chat's members and a hint names the typed command.
   */
  people?: readonly string[];
  /**
   * Edit and resubmit: the form pre-filled with a returned request (its carriers and details); the
   * submit button then resubmits that request (`form.edit`, with its id and version).
   */
  prefill?: FormPrefill;
}

/** A returned request's values for its edit form. */
export interface FormPrefill {
  requestId: string;
  version: number;
  /** Carrier numbers on the request. */
  carriers: readonly string[];
  /** The request's details (the workflow's shape: copies, purpose, due, companions…). */
  details: Record<string, unknown>;
}

/** Action id of the edit form's submit button (edit and resubmit). */
export const EDIT_FORM_ACTION = 'form.edit';

export const COPY_METHODS = ['复印', '打印', '刻录', '拷贝'] as const;

/** Action id of each form's submit button. */
export const FORM_ACTIONS: Record<Kind, string> = { COPY: 'form.copy', CARRY_OUT: 'form.carry', DESTROY: 'form.destroy' };

/** Form name and the fields of each form card, with whether the command requires them. */
export const FORM_FIELDS: Record<Kind, { form: string; fields: readonly { name: string; required: boolean }[] }> = {
  COPY: {
    form: 'copy_form',
    fields: [
      { name: 'carrier', required: true },
      { name: 'copies', required: true },
      { name: 'purpose', required: true },
      { name: 'place', required: false },
      { name: 'pages', required: false },
      { name: 'method', required: false },
      { name: 'ref', required: false },
      { name: 'cc', required: false },
    ],
  },
  CARRY_OUT: {
    form: 'carry_form',
    fields: [
      { name: 'carrier', required: true },
      { name: 'destination', required: true },
      { name: 'due', required: true },
      { name: 'purpose', required: true },
      { name: 'companions', required: false },
      { name: 'abroad', required: false },
      { name: 'cc', required: false },
    ],
  },
  DESTROY: {
    form: 'destroy_form',
    fields: [
      { name: 'carrier', required: true },
      { name: 'reason', required: true },
      { name: 'method', required: true },
      { name: 'site', required: true },
      { name: 'date', required: false },
      { name: 'cc', required: false },
    ],
  },
};

/** More options than this make the card heavy: the carrier field falls back to a text input. */
export const MAX_CARRIER_OPTIONS = 50;

/**
 * The typed command shown under the form. Its carrier numbers are the reader's own (the first of
 * the carriers the form offers), so an example never names a carrier that is not in the register;
 * without any, the number is a plain placeholder, like the other values.
 */
function typedExample(kind: Kind, carriers: readonly FormCarrier[] | undefined): string {
  const first = carriers?.[0]?.number ?? '…';
  switch (kind) {
    case 'COPY':
      return `/copy carrier=${first} copies=1 purpose=…`;
    case 'CARRY_OUT':
      return `/carry carrier=${first} destination=… due=YYYY-MM-DD purpose=…`;
    case 'DESTROY':
      return `/destroy carrier=${carriers && carriers.length > 1 ? `${first},${carriers[1]!.number}` : first} reason=… method=粉碎 site=…`;
  }
}

function requiredOf(kind: Kind, name: string): boolean {
  return FORM_FIELDS[kind].fields.find((f) => f.name === name)?.required ?? false;
}

/** The label above a select or date picker (those have no label of their own). */
function label(tb: Tb, key: string, required: boolean): CardElement {
  const l = tb(`cards:field.${key}`);
  return md(required ? cat('**', l, '** ', "<font color='red'>*</font>") : cat('**', l, '**'));
}

/** The pre-filled value of a field (edit and resubmit), as the form shows it. */
function initialOf(opts: RequestFormOptions, name: string): string | undefined {
  const v = opts.prefill?.details[name];
  if (typeof v === 'string') return v.trim() ? v : undefined;
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return v ? YES : NO;
  return undefined;
}

function freeText(tb: Tb, kind: Kind, name: string, labelKey: string, maxLength: number, multiline = false, opts?: RequestFormOptions): CardElement {
  const initial = opts ? initialOf(opts, name) : undefined;
  return input({
    name,
    label: tb(`cards:field.${labelKey}`),
    placeholder: tr(tb, 'cards:form.placeholder', { hint: tb(`cards:form.ph.${name}`) }),
    required: requiredOf(kind, name),
    maxLength,
    multiline,
    ...(initial !== undefined ? { defaultValue: Array.from(initial).slice(0, maxLength).join('') } : {}),
  });
}

/** Aliases in the carrier select are cut to these lengths, then left out, until the card fits. */
const ALIAS_FITS = [30, 12, 0] as const;
/** Lark's 30 KB is the request body as sent (the card escaped inside `content`): budget on that. */
export const FORM_BUDGET_BYTES = 28 * 1024;

export { sentCardBytes };

function carrierOption(tb: Tb, c: FormCarrier, aliasMax: number): { text: Bi; value: string } {
  const level = tb(`cards:level.${c.level}`);
  const alias = c.alias && aliasMax > 0 ? ` · ${Array.from(c.alias).slice(0, aliasMax).join('')}` : '';
  return { text: cat(c.number, ' · ', level, alias), value: c.number };
}

function carrierField(tb: Tb, kind: Kind, carriers: readonly FormCarrier[] | undefined, aliasMax: number, chosen: readonly string[] = []): CardElement[] {
  const many = kind !== 'COPY';
  const list = carriers ?? [];
  if (list.length === 0 || list.length > MAX_CARRIER_OPTIONS) {
    const typed = (many ? chosen : chosen.slice(0, 1)).join(',');
    return [
      input({
        name: 'carrier',
        label: tb('cards:field.number'),
        placeholder: tr(tb, 'cards:form.placeholder', { hint: tb(many ? 'cards:form.ph.carriers' : 'cards:form.ph.carrier') }),
        required: true,
        maxLength: many ? 1000 : 64,
        ...(typed ? { defaultValue: typed } : {}),
      }),
    ];
  }
  const options = list.map((c) => carrierOption(tb, c, aliasMax));
  const offered = chosen.filter((n) => list.some((c) => c.number === n));
  return [
    label(tb, 'number', true),
    many
      ? multiSelect({ name: 'carrier', placeholder: tb('cards:form.pick_carriers'), options, required: true, ...(offered.length ? { initial: offered } : {}) })
      : select({ name: 'carrier', placeholder: tb('cards:form.pick_one'), options, required: true, ...(offered[0] ? { initial: offered[0] } : {}) }),
  ];
}

/**
 * The form, fitted under Lark's size limit: 50 carriers (with the longest numbers and aliases) and
 * 50 person-picker candidates at worst. Aliases get shorter, then go; as a last resort the carrier
 * field becomes a text input.
 */
function formCard(kind: Kind, opts: RequestFormOptions, fields: CardElement[]): Card {
  const p = opts.prefill;
  const value = p
    ? encodeAction({ action: EDIT_FORM_ACTION, requestId: p.requestId, version: p.version, ...(opts.owner ? { owner: opts.owner } : {}) }, opts.nonce?.())
    : encodeAction({ action: FORM_ACTIONS[kind], ...(opts.owner ? { owner: opts.owner } : {}) }, opts.nonce?.());
  // 抄送 on a new request: the people to copy, picked like companions (a resubmission keeps its copies).
  const all = p ? fields : [...fields, ...ccField(opts)];
  const chosen = p?.carriers ?? [];
  for (const aliasMax of ALIAS_FITS) {
    const c = drawForm(kind, opts, carrierField(opts.tb, kind, opts.carriers, aliasMax, chosen), all, value);
    if (sentCardBytes(c) <= FORM_BUDGET_BYTES) return c;
  }
  return drawForm(kind, opts, carrierField(opts.tb, kind, undefined, 0, chosen), all, value);
}

/** The people to copy (抄送): a person picker over the directory's active users, optional. */
function ccField(opts: RequestFormOptions): CardElement[] {
  const { tb } = opts;
  const candidates = opts.people ?? [];
  return [
    label(tb, 'cc', false),
    multiPersonPicker({ name: 'cc', placeholder: tb('cards:form.pick_cc'), candidates, required: false }),
    ...(candidates.length ? [] : [md(tb('people:picker.chat_members'))]),
  ];
}

function drawForm(kind: Kind, opts: RequestFormOptions, carrier: CardElement[], fields: CardElement[], value: Record<string, unknown>): Card {
  const { tb } = opts;
  const spec = FORM_FIELDS[kind];
  const p = opts.prefill;
  const title = p ? tr(tb, 'cards:title.form_edit', { kind: tb(`cards:kind.${kind}`), id: p.requestId }) : tb(`cards:title.form_${kind}`);
  return card({
    header: header({ title, subtitle: tb(p ? 'cards:subtitle.form_edit' : 'cards:subtitle.form'), template: p ? 'orange' : 'blue' }),
    summary: title,
    elements: [
      md(tb('cards:form.warning')),
      md(cat('📌 ', tb(`cards:form.floor.${kind}`))),
      form(spec.form, [
        ...carrier,
        ...fields,
        button({ name: 'submit', text: tb(p ? 'cards:button.resubmit_edited' : 'cards:button.submit'), type: 'primary', submit: true, value }),
      ]),
      md(p ? tb('cards:form.edit_typed', { id: p.requestId }) : tb('cards:form.typed', { example: typedExample(kind, opts.carriers) })),
    ],
  });
}

const numberInput = (tb: Tb, kind: Kind, name: string, labelKey: string, maxLength: number, opts?: RequestFormOptions): CardElement => {
  const initial = opts ? initialOf(opts, name) : undefined;
  return input({
    name,
    label: tb(`cards:field.${labelKey}`),
    placeholder: tb(`cards:form.ph.${name}`),
    required: requiredOf(kind, name),
    maxLength,
    ...(initial ? { defaultValue: initial } : {}),
  });
};

/** The carry-out form's companions: a person picker over the directory's active users. */
function companionsField(opts: RequestFormOptions): CardElement[] {
  const { tb } = opts;
  const candidates = opts.people ?? [];
  return [
    label(tb, 'companions', requiredOf('CARRY_OUT', 'companions')),
    multiPersonPicker({
      name: 'companions',
      placeholder: tb('people:picker.companions'),
      candidates,
      required: requiredOf('CARRY_OUT', 'companions'),
      ...(Array.isArray(opts.prefill?.details.companions) ? { initial: opts.prefill.details.companions as string[] } : {}),
    }),
    ...(candidates.length ? [] : [md(tb('people:picker.chat_members'))]),
  ];
}

/** `/copy` without arguments. */
export function copyFormCard(opts: RequestFormOptions): Card {
  const { tb } = opts;
  const method = initialOf(opts, 'method');
  return formCard('COPY', opts, [
    numberInput(tb, 'COPY', 'copies', 'copies', 3, opts),
    freeText(tb, 'COPY', 'purpose', 'purpose', 200, false, opts),
    freeText(tb, 'COPY', 'place', 'place', 100, false, opts),
    numberInput(tb, 'COPY', 'pages', 'pages_each', 6, opts),
    label(tb, 'method', false),
    select({
      name: 'method',
      placeholder: tb('cards:form.pick_one'),
      options: COPY_METHODS.map((m) => ({ text: tb(`cards:copy_method.${COPY_METHOD_KEYS[m]}`), value: m })),
      required: false,
      ...(method && (COPY_METHODS as readonly string[]).includes(method) ? { initial: method } : {}),
    }),
    freeText(tb, 'COPY', 'ref', 'ref', 100, false, opts),
  ]);
}

/** `/carry` without arguments. */
export function carryFormCard(opts: RequestFormOptions): Card {
  const { tb } = opts;
  const due = initialOf(opts, 'due');
  return formCard('CARRY_OUT', opts, [
    freeText(tb, 'CARRY_OUT', 'destination', 'destination', 100, false, opts),
    label(tb, 'due', true),
    datePicker({ name: 'due', placeholder: tb('cards:form.pick_date'), required: true, ...(due ? { initial: due.slice(0, 10) } : {}) }),
    freeText(tb, 'CARRY_OUT', 'purpose', 'purpose', 200, false, opts),
    ...companionsField(opts),
    label(tb, 'abroad', false),
    select({
      name: 'abroad',
      placeholder: tb('cards:form.pick_one'),
      options: [
        { text: tb('cards:no'), value: NO },
        { text: tb('cards:yes'), value: YES },
      ],
      initial: initialOf(opts, 'abroad') ?? NO,
      required: false,
    }),
  ]);
}

/** `/destroy` without arguments. */
export function destroyFormCard(opts: RequestFormOptions): Card {
  const { tb } = opts;
  const method = initialOf(opts, 'method');
  const date = initialOf(opts, 'date');
  return formCard('DESTROY', opts, [
    freeText(tb, 'DESTROY', 'reason', 'reason', 200, false, opts),
    label(tb, 'method', true),
    select({
      name: 'method',
      placeholder: tb('cards:form.pick_one'),
      options: DESTROY_METHODS.map((m) => ({ text: tb(`cards:destroy_method.${DESTROY_METHOD_KEYS[m]}`), value: m })),
      required: true,
      ...(method && (DESTROY_METHODS as readonly string[]).includes(method) ? { initial: method } : {}),
    }),
    freeText(tb, 'DESTROY', 'site', 'site', 100, false, opts),
    label(tb, 'date', false),
    datePicker({ name: 'date', placeholder: tb('cards:form.pick_date'), required: false, ...(date ? { initial: date.slice(0, 10) } : {}) }),
  ]);
}

/** The form card of a kind. */
export function requestFormCard(kind: Kind, opts: RequestFormOptions): Card {
  switch (kind) {
    case 'COPY':
      return copyFormCard(opts);
    case 'CARRY_OUT':
      return carryFormCard(opts);
    case 'DESTROY':
      return destroyFormCard(opts);
  }
}

/**
 * What a submitted form becomes (through the callback answer): read-only, naming the request it
 * created, so the same form cannot be submitted twice.
 */
export function formSubmittedCard(kind: Kind, requestId: string, tb: Tb): Card {
  const k = tb(`cards:kind.${kind}`);
  const title = tr(tb, 'cards:title.form_submitted', { kind: k });
  return card({
    header: header({ title, subtitle: { zh: requestId, en: requestId }, template: 'green' }),
    summary: tb('cards:form.submitted_summary', { id: requestId }),
    elements: [md(tb('cards:form.submitted', { id: requestId }))],
  });
}
