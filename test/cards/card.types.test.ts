// The hand-written types (card.types.ts) and the zod schema (card.schema.ts) must describe the
// same shapes. These checks run in `tsc --noEmit`; the runtime test only keeps vitest happy.
import { expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import type * as S from '../../cards/card.schema.js';
import type * as T from '../../cards/card.types.js';
import type { actionValueSchema, ActionValue } from '../../cards/action-value.js';

type Out<X extends z.ZodType> = z.output<X>;

it('schema outputs equal the hand-written types', () => {
  expectTypeOf<Out<typeof S.cardSchema>>().toEqualTypeOf<T.Card>();
  expectTypeOf<Out<typeof S.configSchema>>().toEqualTypeOf<T.CardConfig>();
  expectTypeOf<Out<typeof S.headerSchema>>().toEqualTypeOf<T.CardHeader>();
  expectTypeOf<Out<typeof S.bodySchema>>().toEqualTypeOf<T.CardBody>();
  expectTypeOf<Out<typeof S.textSchema>>().toEqualTypeOf<T.CardText>();
  expectTypeOf<Out<typeof S.textTagSchema>>().toEqualTypeOf<T.TextTag>();
  expectTypeOf<Out<typeof S.iconSchema>>().toEqualTypeOf<T.CardIcon>();
  expectTypeOf<Out<typeof S.behaviorSchema>>().toEqualTypeOf<T.Behavior>();
  expectTypeOf<Out<typeof S.cardLinkSchema>>().toEqualTypeOf<T.CardLink>();
  expectTypeOf<Out<typeof S.divSchema>>().toEqualTypeOf<T.DivElement>();
  expectTypeOf<Out<typeof S.markdownSchema>>().toEqualTypeOf<T.MarkdownElement>();
  expectTypeOf<Out<typeof S.hrSchema>>().toEqualTypeOf<T.HrElement>();
  expectTypeOf<Out<typeof S.imgSchema>>().toEqualTypeOf<T.ImgElement>();
  expectTypeOf<Out<typeof S.personSchema>>().toEqualTypeOf<T.PersonElement>();
  expectTypeOf<Out<typeof S.buttonSchema>>().toEqualTypeOf<T.ButtonElement>();
  expectTypeOf<Out<typeof S.inputSchema>>().toEqualTypeOf<T.InputElement>();
  expectTypeOf<Out<typeof S.selectStaticSchema>>().toEqualTypeOf<T.SelectStaticElement>();
  expectTypeOf<Out<typeof S.multiSelectStaticSchema>>().toEqualTypeOf<T.MultiSelectStaticElement>();
  expectTypeOf<Out<typeof S.selectPersonSchema>>().toEqualTypeOf<T.SelectPersonElement>();
  expectTypeOf<Out<typeof S.datePickerSchema>>().toEqualTypeOf<T.DatePickerElement>();
  expectTypeOf<Out<typeof S.tableSchema>>().toEqualTypeOf<T.TableElement>();
  expectTypeOf<Out<typeof S.columnSchema>>().toEqualTypeOf<T.ColumnElement>();
  expectTypeOf<Out<typeof S.columnSetSchema>>().toEqualTypeOf<T.ColumnSetElement>();
  expectTypeOf<Out<typeof S.formSchema>>().toEqualTypeOf<T.FormElement>();
  expectTypeOf<Out<typeof S.collapsiblePanelSchema>>().toEqualTypeOf<T.CollapsiblePanelElement>();
  expectTypeOf<Out<typeof actionValueSchema>>().toEqualTypeOf<ActionValue>();
});
