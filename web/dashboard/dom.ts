/** Small DOM helpers: elements built with text only (never HTML strings), and text set only when it changed. */

type Props = { class?: string; text?: string; attrs?: Record<string, string> };

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.class) node.className = props.class;
  if (props.text !== undefined) node.textContent = props.text;
  for (const [name, value] of Object.entries(props.attrs ?? {})) node.setAttribute(name, value);
  for (const child of children) node.append(child);
  return node;
}

const SVG = 'http://www.w3.org/2000/svg';

export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}, text?: string): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (node === null) throw new Error(`#${id} is missing from the page`);
  return node as T;
}

/**
 * A text slot whose last value is remembered, so that an update that changes nothing touches no DOM.
 */
export class TextSlot {
  private value: string | null = null;
  constructor(readonly node: HTMLElement) {}
  set(text: string): void {
    if (text === this.value) return;
    this.value = text;
    this.node.textContent = text;
  }
}

/** Shows `section` as unavailable to this user (a privilege is missing), with a reason. */
export function markUnavailable(section: HTMLElement, reason: string): void {
  const body = section.querySelector<HTMLElement>('[data-body]');
  if (body) body.hidden = true;
  const note = section.querySelector<HTMLElement>('[data-unavailable]');
  if (note) {
    note.textContent = reason;
    note.hidden = false;
  }
}
