// Times on the page: the ledger's wall clock (with the API's microseconds), the API's exact UTC
// string in the datetime attribute and the title; never broken across lines (console.css).
import { el } from './dom.ts';
import { formatInstant } from './format.ts';

let timezone = 'UTC';

export function useTimezone(zone: string): void {
  timezone = zone;
}

export function timeNode(timestamp: string | null | undefined): Node {
  if (!timestamp) return document.createTextNode('');
  const node = el('time', '', [formatInstant(timestamp, timezone)]);
  node.dateTime = timestamp;
  node.title = timestamp;
  return node;
}
