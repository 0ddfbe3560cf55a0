export { ReadingQueries, type Row } from './queries.js';
export { cellText, formatJson, formatTable } from './format.js';
