// DOM helpers of the console: everything from the API enters the page as text (textContent,
// attributes), never as HTML.

export function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page has no #${id}`);
  return node as T;
}

export type Child = Node | string | number | null | undefined | false;

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className = '', children: readonly Child[] = []): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  for (const child of children) if (child !== null && child !== undefined && child !== false) node.append(typeof child === 'number' ? String(child) : child);
  return node;
}

export type StatusKind = '' | 'ok' | 'error';

/** The panel's status line (its [data-status] element): text, or text and times. */
export function setStatus(panel: HTMLElement, text: string | readonly Child[], kind: StatusKind = ''): void {
  const node = panel.querySelector<HTMLElement>('[data-status]');
  if (!node) return;
  node.replaceChildren(...(typeof text === 'string' ? [text] : el('span', '', text).childNodes));
  node.dataset.kind = kind;
}

export function cell(content: Child | readonly Child[], sub?: string, className = ''): HTMLTableCellElement {
  const td = el('td', className, Array.isArray(content) ? content : [content as Child]);
  if (sub) td.append(el('span', 'sub', [sub]));
  return td;
}

/** A definition list entry; the value is found by [data-field=name]. */
export function field(list: HTMLElement, name: string, label: string, value: Child | readonly Child[], className = ''): void {
  const dd = el('dd', className, Array.isArray(value) ? value : [value as Child]);
  dd.dataset.field = name;
  list.append(el('dt', '', [label]), dd);
}

/** An in-page link to a screen (#screen/argument). */
export function link(hash: string, text: string): HTMLAnchorElement {
  const a = el('a', '', [text]);
  a.href = `#${hash}`;
  return a;
}
