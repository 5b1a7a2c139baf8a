// On a narrow screen (phone.css) the video gets the screen and the panels become a sheet: a bar with a button
// per panel opens the sheet at that panel; "Close panels" or Escape closes it, and focus goes back.
import { $, el } from "./dom.js";
import { t } from "./strings.js";

let opener = null;

function open(section, button) {
  document.body.classList.add("sheet-open");
  for (const other of $("sheet-bar").children) other.setAttribute("aria-expanded", String(other === button));
  opener = button;
  const heading = section.querySelector("h2");
  heading.tabIndex = -1;
  heading.focus({ preventScroll: true }); // a screen reader says which panel opened
  section.scrollIntoView({ block: "start" });
}

function shut() {
  if (!document.body.classList.contains("sheet-open")) return;
  document.body.classList.remove("sheet-open");
  for (const button of $("sheet-bar").children) button.setAttribute("aria-expanded", "false");
  opener?.focus({ preventScroll: true });
}

export function bindSheets() {
  const aside = $("room").querySelector("aside");
  aside.id ||= "panels";
  aside.setAttribute("aria-label", t("panels"));
  const bar = el("nav", { id: "sheet-bar", "aria-label": t("openPanel") });
  for (const section of aside.querySelectorAll(":scope > section")) {
    const heading = section.querySelector("h2");
    if (!heading) continue;
    const button = el("button", { type: "button", "aria-controls": aside.id, "aria-expanded": "false", text: heading.textContent });
    button.addEventListener("click", () => open(section, button));
    // A panel hidden for this member (files, ...) has no button either.
    const follow = () => { button.hidden = section.hidden; };
    new MutationObserver(follow).observe(section, { attributes: true, attributeFilter: ["hidden"] });
    follow();
    bar.append(button);
  }
  aside.prepend(el("button", { type: "button", class: "sheet-close", text: t("closePanels"), onclick: shut }));
  $("room").append(bar);
  document.addEventListener("keydown", (e) => { if (e.key === "Escape") shut(); });
}
