export * from './events.js';
export * from './backend-choice.js';
export * from './float.js';
