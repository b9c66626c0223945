export * from './card.types.js';
export * from './card.schema.js';
export * from './builder.js';
export * from './action-value.js';
