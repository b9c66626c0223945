// Card JSON 2.0 → DOM. `renderCard(card, {locale, onAction})` returns an HTMLElement; it never
// touches the network (clicks go to `onAction`, which returns a promise) and never throws: a
// component it cannot draw becomes a small grey "unsupported component" box.
import { renderMarkdown } from './markdown.js';
import {
  buttonBehavior,
  cardElements,
  collectForm,
  columnFlex,
  fieldDefault,
  headerTemplate,
  isMarkdownText,
  normalizeLocale,
  pageRows,
  personCandidates,
  pickField,
  pickText,
  safeHref,
  tableCell,
  tablePageSize,
  tagColor,
  wireValue,
} from './card-model.js';

const STR = {
  zh_cn: {
    unsupported: '暂不支持的组件',
    invalid: '无法显示此卡片',
    required: '请填写必填项',
    tooLong: '超出字数限制',
    confirm: '确定',
    cancel: '取消',
    prev: '上一页',
    next: '下一页',
    select: '请选择',
    image: '图片',
    tooDeep: '嵌套过深',
    noPeople: '没有可选的人员',
  },
  en_us: {
    unsupported: 'Unsupported component',
    invalid: 'This card cannot be displayed',
    required: 'This field is required',
    tooLong: 'Too long',
    confirm: 'OK',
    cancel: 'Cancel',
    prev: 'Previous',
    next: 'Next',
    select: 'Select',
    image: 'Image',
    tooDeep: 'Nested too deep',
    noPeople: 'Nobody to choose',
  },
};

const MAX_DEPTH = 8;
const PX_BOX = /^(?:-?\d{1,3}px)(?:\s+-?\d{1,3}px){0,3}$/;
const TEXT_COLORS = ['default', 'grey', 'red', 'orange', 'yellow', 'green', 'turquoise', 'wathet', 'blue', 'indigo', 'purple', 'violet', 'carmine', 'lime'];

/**
 * @param {any} card a Card JSON 2.0 object (a legacy 1.0 card with root `elements` renders too)
 * @param {{
 *   locale?: string,
 *   onAction?: (action: {tag: string, name?: string, value: any, form_value?: Record<string, unknown>, option?: string, options?: string[], input_value?: string, checked?: boolean}) => Promise<unknown> | unknown,
 *   resolvePerson?: (openId: string) => string | undefined,
 *   chatMembers?: string[],
 *   openUrl?: (url: string) => void,
 *   confirm?: (title: string, text: string) => Promise<boolean>,
 *   tzOffset?: string,
 *   document?: Document,
 * }} [opts]
 * @returns {HTMLElement}
 */
export function renderCard(card, opts = {}) {
  const doc = opts.document ?? globalThis.document;
  const locale = normalizeLocale(opts.locale ?? 'zh_cn');
  const ctx = {
    doc,
    locale,
    s: STR[locale],
    onAction: opts.onAction ?? (() => undefined),
    resolvePerson: opts.resolvePerson ?? (() => undefined),
    // The chat's members (without the bot): a person picker with no valid options offers them.
    chatMembers: Array.isArray(opts.chatMembers) ? opts.chatMembers : [],
    openUrl: opts.openUrl ?? ((url) => globalThis.open?.(url, '_blank', 'noopener,noreferrer')),
    confirm: opts.confirm ?? ((title, text) => showConfirm(doc, title, text, STR[locale])),
    tzOffset: opts.tzOffset ?? '+0800',
  };
  const root = h(doc, 'div', { class: 'lk-card', 'data-testid': 'card', lang: locale === 'en_us' ? 'en' : 'zh' });
  if (!card || typeof card !== 'object') {
    root.append(unsupported(ctx, ctx.s.invalid));
    return root;
  }
  try {
    if (card.config?.width_mode === 'fill' || card.config?.wide_screen_mode === true) root.classList.add('lk-card-fill');
    if (card.header && typeof card.header === 'object') root.append(renderHeader(card.header, ctx));
    const body = h(doc, 'div', { class: 'lk-card-body' });
    const padding = card.body?.padding;
    if (typeof padding === 'string' && PX_BOX.test(padding.trim())) body.style.padding = padding;
    const spacing = spacingPx(card.body?.vertical_spacing);
    if (spacing) body.style.gap = spacing;
    renderElements(cardElements(card), body, ctx, 0, null);
    root.append(body);
  } catch (e) {
    root.append(unsupported(ctx, `${ctx.s.invalid}: ${e instanceof Error ? e.message : String(e)}`));
  }
  return root;
}

// ---------------------------------------------------------------------------------------------
// helpers

function h(doc, tag, attrs = {}, ...children) {
  const el = doc.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = String(v);
    else if (k === 'text') el.textContent = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c != null) el.append(c);
  return el;
}

function spacingPx(v) {
  if (typeof v === 'string' && /^\d{1,3}px$/.test(v)) return v;
  return { small: '4px', medium: '8px', large: '12px', extra_large: '16px', default: '8px' }[v] ?? undefined;
}

function unsupported(ctx, text) {
  return h(ctx.doc, 'div', { class: 'lk-unsupported', 'data-testid': 'card-unsupported', text });
}

function markdownEl(ctx, src, cls = 'lk-md') {
  const el = h(ctx.doc, 'div', { class: cls });
  // renderMarkdown escapes everything it does not itself generate (see markdown.js).
  el.innerHTML = renderMarkdown(src, { mention: (id) => (id === 'all' ? (ctx.locale === 'en_us' ? 'all' : '所有人') : ctx.resolvePerson(id)) });
  return el;
}

function textEl(ctx, text, cls) {
  const content = pickText(text, ctx.locale);
  const el = isMarkdownText(text) ? markdownEl(ctx, content, `lk-md ${cls}`) : h(ctx.doc, 'div', { class: `lk-plain ${cls}`, text: content });
  if (text && typeof text === 'object') styleText(el, text);
  return el;
}

function styleText(el, t) {
  if (TEXT_COLORS.includes(t.text_color)) el.classList.add(`md-c-${t.text_color}`);
  if (['left', 'center', 'right'].includes(t.text_align)) el.style.textAlign = t.text_align;
  if (typeof t.text_size === 'string') el.classList.add(`lk-size-${t.text_size.replace(/[^a-z_-]/gi, '')}`);
  if (Number.isInteger(t.lines) && t.lines > 0 && t.lines < 50) {
    el.classList.add('lk-clamp');
    el.style.setProperty('-webkit-line-clamp', String(t.lines));
  }
}

function textTag(ctx, tag) {
  return h(ctx.doc, 'span', { class: `text-tag tag-${tagColor(tag?.color)}`, text: pickText(tag?.text, ctx.locale) });
}

function personChip(ctx, id) {
  const name = ctx.resolvePerson(id) ?? (id ? `${id.slice(0, 9)}…` : '?');
  return h(ctx.doc, 'span', { class: 'lk-person', title: id }, avatarOf(ctx, name), name);
}

function avatarOf(ctx, name) {
  return h(ctx.doc, 'span', { class: 'lk-avatar', 'aria-hidden': 'true', text: [...String(name)][0] ?? '?' });
}

// ---------------------------------------------------------------------------------------------
// header

function renderHeader(header, ctx) {
  const { doc } = ctx;
  const el = h(doc, 'div', { class: `lk-header tpl-${headerTemplate(header.template)}`, 'data-testid': 'card-header', 'data-template': headerTemplate(header.template) });
  const row = h(doc, 'div', { class: 'lk-header-row' });
  const titles = h(doc, 'div', { class: 'lk-header-titles' });
  titles.append(h(doc, 'div', { class: 'lk-header-title', 'data-testid': 'card-title', text: pickText(header.title, ctx.locale) }));
  const sub = pickText(header.subtitle, ctx.locale);
  if (sub) titles.append(h(doc, 'div', { class: 'lk-header-subtitle', text: sub }));
  row.append(titles);
  const tags = header.i18n_text_tag_list?.[ctx.locale] ?? header.text_tag_list;
  if (Array.isArray(tags) && tags.length) {
    const box = h(doc, 'div', { class: 'lk-header-tags' });
    for (const t of tags.slice(0, 3)) box.append(textTag(ctx, t));
    row.append(box);
  }
  el.append(row);
  return el;
}

// ---------------------------------------------------------------------------------------------
// elements

function renderElements(elements, parent, ctx, depth, form) {
  if (!Array.isArray(elements)) return;
  for (const comp of elements) {
    let node;
    try {
      node = renderElement(comp, ctx, depth, form);
    } catch (e) {
      node = unsupported(ctx, `${ctx.s.unsupported}: ${comp?.tag ?? '?'} (${e instanceof Error ? e.message : e})`);
    }
    if (node) parent.append(node);
  }
}

function renderElement(comp, ctx, depth, form) {
  if (!comp || typeof comp !== 'object') return unsupported(ctx, `${ctx.s.unsupported}: ${typeof comp}`);
  if (depth > MAX_DEPTH) return unsupported(ctx, ctx.s.tooDeep);
  const node = renderByTag(comp, ctx, depth, form);
  if (node && node.nodeType === 1) {
    if (typeof comp.margin === 'string' && PX_BOX.test(comp.margin.trim())) node.style.margin = comp.margin;
    if (typeof comp.element_id === 'string') node.dataset.elementId = comp.element_id;
  }
  return node;
}

function renderByTag(comp, ctx, depth, form) {
  const { doc } = ctx;
  switch (comp.tag) {
    case 'div': {
      const el = h(doc, 'div', { class: 'lk-div' });
      if (comp.text) el.append(textEl(ctx, comp.text, 'lk-div-text'));
      if (Array.isArray(comp.fields) && comp.fields.length) {
        const grid = h(doc, 'div', { class: 'lk-fields' });
        for (const f of comp.fields) {
          grid.append(h(doc, 'div', { class: f?.is_short ? 'lk-field short' : 'lk-field' }, textEl(ctx, f?.text, '')));
        }
        el.append(grid);
      }
      return el;
    }
    case 'markdown': {
      const el = markdownEl(ctx, pickText(comp, ctx.locale), 'lk-md lk-markdown');
      styleText(el, comp);
      return el;
    }
    case 'plain_text':
    case 'lark_md':
      return textEl(ctx, comp, '');
    case 'hr':
      return h(doc, 'hr', { class: 'lk-hr' });
    case 'button':
      return renderButton(comp, ctx, form);
    case 'action': {
      // Card 1.0 `action` module (removed in 2.0): draw its buttons in a row anyway.
      const row = h(doc, 'div', { class: 'lk-action-row' });
      renderElements(comp.actions, row, ctx, depth + 1, form);
      return row;
    }
    case 'column_set':
      return renderColumnSet(comp, ctx, depth, form);
    case 'column': {
      const col = h(doc, 'div', { class: 'lk-column' });
      renderElements(comp.elements, col, ctx, depth + 1, form);
      return col;
    }
    case 'form':
      return form ? unsupported(ctx, `${ctx.s.unsupported}: form ⊂ form`) : renderForm(comp, ctx, depth);
    case 'input':
    case 'select_static':
    case 'multi_select_static':
    case 'select_person':
    case 'multi_select_person':
    case 'date_picker':
    case 'picker_time':
    case 'picker_datetime':
    case 'checker':
      return renderField(comp, ctx, form);
    case 'table':
      return renderTable(comp, ctx);
    case 'collapsible_panel':
      return renderPanel(comp, ctx, depth, form);
    case 'img':
    case 'image': {
      const alt = pickText(comp.alt, ctx.locale) || pickText(comp.title, ctx.locale) || ctx.s.image;
      return h(
        doc,
        'div',
        { class: 'lk-img', role: 'img', 'aria-label': alt, title: comp.img_key ?? '' },
        h(doc, 'span', { class: 'lk-img-icon', 'aria-hidden': 'true' }),
        h(doc, 'span', { text: alt }),
      );
    }
    case 'text_tag':
      return textTag(ctx, comp);
    default:
      return unsupported(ctx, `${ctx.s.unsupported}: ${String(comp.tag ?? '?')}`);
  }
}

function renderColumnSet(comp, ctx, depth, form) {
  const { doc } = ctx;
  const set = h(doc, 'div', { class: 'lk-colset' });
  if (comp.flex_mode && comp.flex_mode !== 'none') set.classList.add('lk-colset-wrap');
  if (comp.background_style && comp.background_style !== 'default') set.classList.add('lk-bg-grey');
  const gap = spacingPx(comp.horizontal_spacing);
  if (gap) set.style.gap = gap;
  if (['left', 'center', 'right'].includes(comp.horizontal_align)) set.style.justifyContent = { left: 'flex-start', center: 'center', right: 'flex-end' }[comp.horizontal_align];
  for (const col of Array.isArray(comp.columns) ? comp.columns : []) {
    const c = h(doc, 'div', { class: 'lk-column' });
    const flex = columnFlex(col);
    c.style.flex = flex.flex;
    if (flex.width) c.style.width = flex.width;
    if (['top', 'center', 'bottom'].includes(col?.vertical_align)) c.style.justifyContent = { top: 'flex-start', center: 'center', bottom: 'flex-end' }[col.vertical_align];
    if (col?.background_style && col.background_style !== 'default') c.classList.add('lk-bg-grey');
    const vs = spacingPx(col?.vertical_spacing);
    if (vs) c.style.gap = vs;
    renderElements(col?.elements, c, ctx, depth + 2, form);
    set.append(c);
  }
  return set;
}

function renderPanel(comp, ctx, depth, form) {
  const { doc } = ctx;
  const d = h(doc, 'details', { class: 'lk-panel', open: comp.expanded === true, 'data-testid': 'card-panel' });
  const title = comp.header?.title;
  const summary = h(doc, 'summary', { class: 'lk-panel-summary' });
  summary.append(title ? textEl(ctx, title, 'lk-panel-title') : h(doc, 'span', { text: '…' }));
  d.append(summary);
  const body = h(doc, 'div', { class: 'lk-panel-body' });
  renderElements(comp.elements, body, ctx, depth + 1, form);
  d.append(body);
  return d;
}

// ---------------------------------------------------------------------------------------------
// actions

async function runAction(ctx, controls, action) {
  const saved = controls.map((c) => c.disabled);
  for (const c of controls) {
    c.disabled = true;
    c.classList.add('is-loading');
  }
  try {
    await ctx.onAction(action);
  } finally {
    controls.forEach((c, i) => {
      c.disabled = saved[i];
      c.classList.remove('is-loading');
    });
  }
}

function renderButton(comp, ctx, form) {
  const { doc } = ctx;
  const type = String(comp.type ?? 'default').replace(/[^a-z_]/gi, '');
  const btn = h(doc, 'button', {
    type: 'button',
    class: `lk-btn lk-btn-${type || 'default'} lk-btn-size-${String(comp.size ?? 'medium').replace(/[^a-z_]/gi, '')}`,
    'data-testid': 'card-button',
    'data-name': comp.name ?? '',
    title: pickText(comp.hover_tips, ctx.locale) || undefined,
  });
  if (comp.width === 'fill') btn.classList.add('lk-btn-fill');
  else if (typeof comp.width === 'string' && /^\d{1,4}px$/.test(comp.width)) btn.style.width = comp.width;
  btn.append(h(doc, 'span', { class: 'lk-btn-label', text: pickText(comp.text, ctx.locale) }));
  if (comp.disabled) {
    btn.disabled = true;
    const tips = pickText(comp.disabled_tips, ctx.locale);
    if (tips) btn.title = tips;
  }
  if (form) form.buttons.push(btn);
  btn.addEventListener('click', () => {
    onButton(comp, btn, ctx, form).catch(() => undefined);
  });
  return btn;
}

async function onButton(comp, btn, ctx, form) {
  if (btn.disabled) return;
  const { callback, url } = buttonBehavior(comp);
  const kind = form ? (comp.form_action_type ?? comp.action_type) : undefined;
  if (kind === 'reset') {
    form.reset();
    return;
  }
  let form_value;
  if (kind === 'submit' || kind === 'form_submit') {
    const result = form.validate();
    if (!result) return;
    form_value = result;
  }
  if (comp.confirm) {
    const ok = await ctx.confirm(pickText(comp.confirm.title, ctx.locale), pickText(comp.confirm.text, ctx.locale));
    if (!ok) return;
  }
  const href = safeHref(url);
  if (href) ctx.openUrl(href);
  if (form_value !== undefined) {
    await runAction(ctx, form.buttons, { tag: 'button', name: comp.name, value: callback ?? {}, form_value });
  } else if (callback !== undefined) {
    await runAction(ctx, [btn], { tag: 'button', name: comp.name, value: callback });
  }
}

function showConfirm(doc, title, text, s) {
  return new Promise((resolve) => {
    const backdrop = h(doc, 'div', { class: 'lk-modal-backdrop', 'data-testid': 'confirm-dialog' });
    const box = h(doc, 'div', { class: 'lk-modal', role: 'dialog', 'aria-modal': 'true' });
    if (title) box.append(h(doc, 'div', { class: 'lk-modal-title', text: title }));
    if (text) box.append(h(doc, 'div', { class: 'lk-modal-text', text }));
    const cancel = h(doc, 'button', { type: 'button', class: 'lk-btn lk-btn-default', 'data-testid': 'confirm-cancel', text: s.cancel });
    const ok = h(doc, 'button', { type: 'button', class: 'lk-btn lk-btn-primary', 'data-testid': 'confirm-ok', text: s.confirm });
    box.append(h(doc, 'div', { class: 'lk-modal-actions' }, cancel, ok));
    backdrop.append(box);
    const done = (v) => {
      backdrop.remove();
      doc.removeEventListener('keydown', onKey, true);
      resolve(v);
    };
    const onKey = (e) => {
      if (e.key === 'Escape') done(false);
    };
    cancel.addEventListener('click', () => done(false));
    ok.addEventListener('click', () => done(true));
    backdrop.addEventListener('click', (e) => {
      if (e.target === backdrop) done(false);
    });
    doc.addEventListener('keydown', onKey, true);
    doc.body.append(backdrop);
    ok.focus();
  });
}

// ---------------------------------------------------------------------------------------------
// forms and fields

function renderForm(comp, ctx, depth) {
  const { doc } = ctx;
  const el = h(doc, 'div', { class: 'lk-form', 'data-testid': 'card-form', 'data-name': comp.name ?? '' });
  const errorBox = h(doc, 'div', { class: 'lk-form-error', 'data-testid': 'form-error', role: 'alert', hidden: true });
  const form = {
    controls: new Map(), // name → {comp, get, set, setError}
    buttons: [],
    reset() {
      for (const c of this.controls.values()) {
        c.set(fieldDefault(c.comp));
        c.setError('');
      }
      errorBox.hidden = true;
    },
    /** @returns {Record<string, unknown> | null} form_value, or null when a check failed */
    validate() {
      const raw = {};
      for (const [name, c] of this.controls) raw[name] = c.get();
      const fields = [...this.controls.values()].map((c) => c.comp);
      const { form_value, missing, tooLong } = collectForm(fields, raw, ctx.tzOffset);
      for (const [name, c] of this.controls) {
        c.setError(missing.includes(name) ? ctx.s.required : tooLong.includes(name) ? ctx.s.tooLong : '');
      }
      const bad = [...missing, ...tooLong];
      if (bad.length) {
        errorBox.textContent = missing.length ? ctx.s.required : ctx.s.tooLong;
        errorBox.hidden = false;
        this.controls.get(bad[0])?.focus();
        return null;
      }
      errorBox.hidden = true;
      return form_value;
    },
  };
  renderElements(comp.elements, el, ctx, depth + 1, form);
  el.append(errorBox);
  return el;
}

function renderField(comp, ctx, form) {
  const { doc } = ctx;
  const name = comp.name ?? '';
  const wrap = h(doc, 'div', { class: `lk-field-wrap lk-field-${comp.tag}` });
  const placeholder = pickField(comp, 'placeholder', ctx.locale);
  const isPicker = comp.tag === 'date_picker' || comp.tag === 'picker_time' || comp.tag === 'picker_datetime';
  // a native date/time input cannot show a placeholder: show it as a muted label instead
  const ownLabel = pickField(comp, 'label', ctx.locale);
  const labelText = ownLabel || (isPicker ? placeholder : '');
  const id = `f-${Math.random().toString(36).slice(2, 10)}`;
  if (labelText && comp.tag !== 'checker') {
    const label = h(doc, 'label', { class: ownLabel ? 'lk-label' : 'lk-label lk-label-muted', for: id, text: labelText });
    if (comp.required) label.append(h(doc, 'span', { class: 'lk-required', text: ' *' }));
    wrap.append(label);
    if (comp.label_position === 'left') wrap.classList.add('lk-label-left');
  }
  const common = { id, 'data-testid': 'form-field', 'data-name': name, name, 'aria-required': comp.required ? 'true' : undefined, disabled: comp.disabled === true };
  let control;
  let get;
  let set;
  /** What gets the focus when the field is invalid (a person list: its first box). */
  let focusTarget = () => control;
  /** Shown after the control (a single person picker: the chosen person). */
  let after;
  switch (comp.tag) {
    case 'input': {
      const multi = comp.input_type === 'multiline_text';
      control = h(doc, multi ? 'textarea' : 'input', {
        ...common,
        class: 'lk-input',
        placeholder: placeholder || undefined,
        rows: multi ? (comp.rows ?? 3) : undefined,
        type: multi ? undefined : comp.input_type === 'password' ? 'password' : 'text',
      });
      if (Number.isInteger(comp.max_length) && comp.max_length > 0) control.maxLength = comp.max_length;
      get = () => control.value;
      set = (v) => {
        control.value = v ?? '';
      };
      break;
    }
    case 'select_person':
    case 'multi_select_person': {
      // Names (and avatar initials) from the directory the page has; values are open_ids, and the
      // form sends them as Lark does: a string for select_person, an array for multi_select_person.
      const multi = comp.tag === 'multi_select_person';
      const people = personCandidates(comp, (pid) => ctx.resolvePerson(pid) !== undefined, ctx.chatMembers);
      const nameOf = (pid) => ctx.resolvePerson(pid) ?? pid;
      wrap.classList.add('lk-person-picker');
      wrap.setAttribute('data-testid', 'person-picker');
      wrap.setAttribute('data-name', name);
      wrap.setAttribute('data-multi', String(multi));
      if (multi) {
        control = h(doc, 'div', { ...common, class: 'lk-person-list', role: 'group', tabindex: '-1', 'aria-label': placeholder || ctx.s.select });
        if (placeholder) control.append(h(doc, 'div', { class: 'lk-person-hint', text: placeholder }));
        if (!people.length) control.append(h(doc, 'div', { class: 'lk-person-empty', text: ctx.s.noPeople }));
        const boxes = people.map((pid) => {
          const box = h(doc, 'input', { type: 'checkbox', class: 'lk-checkbox', value: pid, disabled: comp.disabled === true, 'aria-label': nameOf(pid) });
          control.append(
            h(
              doc,
              'label',
              { class: 'lk-person-option', 'data-testid': 'person-option', 'data-open-id': pid, title: pid },
              box,
              avatarOf(ctx, nameOf(pid)),
              h(doc, 'span', { class: 'lk-person-name', text: nameOf(pid) }),
            ),
          );
          return box;
        });
        focusTarget = () => boxes[0] ?? control;
        get = () => boxes.filter((b) => b.checked).map((b) => b.value);
        set = (v) => {
          for (const b of boxes) b.checked = Array.isArray(v) && v.includes(b.value);
        };
      } else {
        control = h(doc, 'select', { ...common, class: 'lk-select lk-person-select' });
        control.append(h(doc, 'option', { value: '', text: placeholder || ctx.s.select }));
        for (const pid of people) control.append(h(doc, 'option', { value: pid, text: nameOf(pid) }));
        const chosen = h(doc, 'span', { class: 'lk-person-chosen', 'data-testid': 'person-chosen', hidden: true });
        const showChosen = () => {
          chosen.replaceChildren();
          chosen.hidden = control.value === '';
          if (control.value) chosen.append(avatarOf(ctx, nameOf(control.value)), h(doc, 'span', { text: nameOf(control.value) }));
        };
        after = chosen;
        get = () => control.value;
        set = (v) => {
          control.value = v ?? '';
          showChosen();
        };
        control.addEventListener('change', () => {
          control.classList.toggle('is-empty', control.value === '');
          showChosen();
        });
      }
      break;
    }
    case 'select_static':
    case 'multi_select_static': {
      const multi = comp.tag.startsWith('multi_');
      const options = Array.isArray(comp.options) ? comp.options : [];
      control = h(doc, 'select', { ...common, class: 'lk-select', multiple: multi, size: multi ? Math.min(4, Math.max(2, options.length)) : undefined });
      if (!multi) control.append(h(doc, 'option', { value: '', text: placeholder || ctx.s.select }));
      for (const o of options) {
        const value = String(o?.value ?? '');
        const text = pickText(o?.text, ctx.locale) || value;
        control.append(h(doc, 'option', { value, text }));
      }
      get = () => (multi ? [...control.selectedOptions].map((o) => o.value) : control.value);
      set = (v) => {
        if (multi) for (const o of control.options) o.selected = Array.isArray(v) && v.includes(o.value);
        else control.value = v ?? '';
      };
      control.addEventListener('change', () => control.classList.toggle('is-empty', !multi && control.value === ''));
      break;
    }
    case 'date_picker':
    case 'picker_time':
    case 'picker_datetime': {
      const type = { date_picker: 'date', picker_time: 'time', picker_datetime: 'datetime-local' }[comp.tag];
      control = h(doc, 'input', { ...common, class: 'lk-input lk-date', type, placeholder: placeholder || undefined, title: placeholder || undefined });
      get = () => control.value;
      set = (v) => {
        control.value = v ?? '';
      };
      break;
    }
    case 'checker': {
      control = h(doc, 'input', { ...common, type: 'checkbox', class: 'lk-checkbox' });
      get = () => control.checked;
      set = (v) => {
        control.checked = !!v;
      };
      wrap.append(h(doc, 'label', { class: 'lk-checker', for: id }, control, h(doc, 'span', { text: pickText(comp.text, ctx.locale) })));
      break;
    }
    default:
      return unsupported(ctx, `${ctx.s.unsupported}: ${comp.tag}`);
  }
  if (typeof comp.width === 'string' && /^\d{1,4}px$/.test(comp.width)) wrap.style.width = comp.width;
  set(fieldDefault(comp));
  if (control.tagName === 'SELECT' && !control.multiple) control.classList.toggle('is-empty', control.value === '');
  if (comp.tag !== 'checker') wrap.append(control);
  if (after) wrap.append(after);
  const err = h(doc, 'div', { class: 'lk-field-error', hidden: true });
  wrap.append(err);
  const setError = (msg) => {
    err.textContent = msg;
    err.hidden = !msg;
    wrap.classList.toggle('is-invalid', !!msg);
    control.setAttribute('aria-invalid', msg ? 'true' : 'false');
  };
  control.addEventListener('input', () => setError(''));
  control.addEventListener('change', () => setError(''));

  if (form) {
    if (name) form.controls.set(name, { comp, get, set, setError, focus: () => focusTarget().focus() });
  } else {
    attachStandalone(comp, control, get, ctx);
  }
  return wrap;
}

/** A field outside a form reports its own interaction, as in Feishu. */
function attachStandalone(comp, control, get, ctx) {
  const value = buttonBehavior(comp).callback ?? {};
  const fire = (extra) => runAction(ctx, [control], { tag: comp.tag, name: comp.name, value, ...extra }).catch(() => undefined);
  if (comp.tag === 'input') {
    control.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && control.tagName === 'INPUT') {
        e.preventDefault();
        fire({ input_value: get() });
      }
    });
  } else if (comp.tag === 'checker') {
    control.addEventListener('change', () => fire({ checked: get() }));
  } else if (comp.tag.startsWith('multi_')) {
    control.addEventListener('change', () => fire({ options: get() }));
  } else if (comp.tag.startsWith('select_')) {
    control.addEventListener('change', () => fire({ option: get() }));
  } else {
    control.addEventListener('change', () => {
      const v = wireValue(comp.tag, get(), ctx.tzOffset);
      if (v) fire({ option: v });
    });
  }
}

// ---------------------------------------------------------------------------------------------
// table

function renderTable(comp, ctx) {
  const { doc } = ctx;
  const columns = (Array.isArray(comp.columns) ? comp.columns : []).filter((c) => c && typeof c === 'object');
  const rows = Array.isArray(comp.rows) ? comp.rows : [];
  const size = tablePageSize(comp);
  const wrap = h(doc, 'div', { class: 'lk-table-wrap', 'data-testid': 'card-table' });
  const scroller = h(doc, 'div', { class: 'lk-table-scroll' });
  const table = h(doc, 'table', { class: 'lk-table' });
  const thead = h(doc, 'thead');
  const hr = h(doc, 'tr');
  for (const col of columns) {
    const th = h(doc, 'th', { text: pickField(col, 'display_name', ctx.locale) || col.name || '' });
    if (typeof col.width === 'string' && /^\d{1,4}px$/.test(col.width)) th.style.width = col.width;
    if (['left', 'center', 'right'].includes(col.horizontal_align)) th.style.textAlign = col.horizontal_align;
    hr.append(th);
  }
  thead.append(hr);
  const tbody = h(doc, 'tbody');
  table.append(thead, tbody);
  scroller.append(table);
  wrap.append(scroller);

  const pager = h(doc, 'div', { class: 'lk-pager' });
  const prev = h(doc, 'button', { type: 'button', class: 'lk-pager-btn', 'data-testid': 'table-prev', 'aria-label': ctx.s.prev, text: '‹' });
  const label = h(doc, 'span', { class: 'lk-pager-label', 'data-testid': 'table-page' });
  const next = h(doc, 'button', { type: 'button', class: 'lk-pager-btn', 'data-testid': 'table-next', 'aria-label': ctx.s.next, text: '›' });
  pager.append(prev, label, next);

  let page = 0;
  const draw = () => {
    const view = pageRows(rows, size, page);
    page = view.page;
    tbody.replaceChildren();
    for (const row of view.rows) {
      const tr = h(doc, 'tr');
      for (const col of columns) {
        const cell = tableCell(col, row && typeof row === 'object' ? row[col.name] : undefined, ctx.locale);
        const td = h(doc, 'td');
        if (cell.kind === 'markdown') td.append(markdownEl(ctx, cell.text, 'lk-md lk-cell-md'));
        else if (cell.kind === 'tags') for (const t of cell.tags) td.append(h(doc, 'span', { class: `text-tag tag-${t.color}`, text: t.text }));
        else if (cell.kind === 'persons') for (const id of cell.ids) td.append(personChip(ctx, id));
        else td.textContent = cell.text;
        const align = ['left', 'center', 'right'].includes(col.horizontal_align) ? col.horizontal_align : cell.align;
        if (align) td.style.textAlign = align;
        tr.append(td);
      }
      tbody.append(tr);
    }
    label.textContent = `${view.page + 1} / ${view.pageCount}`;
    prev.disabled = view.page === 0;
    next.disabled = view.page >= view.pageCount - 1;
    pager.hidden = view.pageCount <= 1;
  };
  prev.addEventListener('click', () => {
    page--;
    draw();
  });
  next.addEventListener('click', () => {
    page++;
    draw();
  });
  draw();
  wrap.append(pager);
  return wrap;
}
