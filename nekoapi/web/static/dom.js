// Building elements from data without HTML strings, and the focus rule: no button keeps focus after a click.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "text") node.textContent = value;
    else if (value === true) node.setAttribute(name, "");
    else if (value !== false && value != null) node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

export const $ = (id) => document.getElementById(id);

// After a button's action, keys belong to the desktop again: focus goes back to the video.
export function backToVideo() {
  ($("video").hidden ? $("screen") : $("video")).focus({ preventScroll: true }); // the canvas: wsmedia.js
}
