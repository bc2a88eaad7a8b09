/* Building the page from stored text: text is set as text, never parsed as markup.
 *
 * Camera names, incident kinds and addresses, layout and user names are typed by residents,
 * CAD systems and colleagues. Every one of them reaches the page through `textContent` (or a
 * DOM node built here), so `<img onerror=…>` in a camera's name shows as those characters.
 */

export const $ = (id) => document.getElementById(id);

/** A new element: `text` becomes its text, `data` its data- attributes, `children` its nodes. */
export function el(tag, { className, text, data, ...properties } = {}, children = []) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  Object.entries(data || {}).forEach(([key, value]) => { node.dataset[key] = String(value); });
  Object.assign(node, properties);
  node.append(...children);
  return node;
}

/** An <option> whose label is text. */
export function option(value, text) {
  return el("option", { value: String(value), text });
}
