// Personal settings, remembered in this browser (localStorage): the desktop's keyboard layout (sent
// as keyboard/map whenever this session gets control, and when changed while it has it, as Neko's
// client does), and the scroll's sensitivity and direction.
import { $, el } from "./dom.js";
import { send } from "./media.js";
import { emit } from "./net.js";
import { hosting, subscribe } from "./store.js";
import { t } from "./strings.js";

const KEY = "nekoapi.settings";
// XKB layouts, each under its own name (an endonym needs no translation).
const LAYOUTS = {
  us: "English (US)", gb: "English (UK)", de: "Deutsch", ch: "Schweiz", at: "Österreich", fr: "Français",
  be: "Belgique", es: "Español", latam: "Español (Latinoamérica)", it: "Italiano", pt: "Português",
  br: "Português (Brasil)", nl: "Nederlands", dk: "Dansk", no: "Norsk", se: "Svenska", fi: "Suomi",
  pl: "Polski", cz: "Čeština", sk: "Slovenčina", hu: "Magyar", si: "Slovenščina", hr: "Hrvatski", ro: "Română",
  tr: "Türkçe", gr: "Ελληνικά", ru: "Русский", ua: "Українська", il: "עברית", ara: "العربية", jp: "日本語",
  kr: "한국어", cn: "中文",
};
const DEFAULTS = { layout: "us", scroll: 1, invert: false };
export const settings = { ...DEFAULTS, ...(() => { try { return JSON.parse(localStorage.getItem(KEY)) || {}; } catch { return {}; } })() };

function save(patch) {
  Object.assign(settings, patch);
  localStorage.setItem(KEY, JSON.stringify(settings));
}

let sentFor = false;
function sendLayout() {
  if (hosting()) emit("keyboard/map", { layout: settings.layout, variant: "" });
}

// The wheel, read here before input.js sees it: each notch scrolls `scroll` steps, the other way when inverted.
function wheel(e) {
  if (e.target.id !== "video" || !hosting()) return;
  e.preventDefault();
  e.stopPropagation();
  const way = settings.invert ? 1 : -1;
  const steps = (delta) => Math.sign(delta) * way * settings.scroll;
  send("scroll", steps(e.deltaX), steps(e.deltaY), e.ctrlKey ? 1 : 0);
}

export function bindSettings() {
  const layout = el("select", { id: "layout", onchange: (e) => { save({ layout: e.target.value }); sendLayout(); } },
    ...Object.entries(LAYOUTS).map(([code, name]) => el("option", { value: code, text: `${name} (${code})` })));
  layout.value = settings.layout in LAYOUTS ? settings.layout : "us";
  const scroll = el("input", { id: "scroll", type: "range", min: "1", max: "10", step: "1", value: String(settings.scroll),
    oninput: (e) => { save({ scroll: Number(e.target.value) }); e.target.setAttribute("aria-valuetext", e.target.value); } });
  const invert = el("input", { id: "invert", type: "checkbox", onchange: (e) => save({ invert: e.target.checked }) });
  invert.checked = settings.invert;
  $("logout").before(el("section", { "aria-labelledby": "settings-title" },
    el("h2", { id: "settings-title", text: t("mySettings") }),
    el("label", { class: "row" }, el("span", { text: t("keyboardLayout") }), layout),
    el("label", { class: "row" }, el("span", { text: t("scrollSensitivity") }), scroll),
    el("label", {}, invert, ` ${t("invertScroll")}`)));
  $("stage").addEventListener("wheel", wheel, { capture: true, passive: false });
}

// Control arrived: the desktop gets this person's layout.
subscribe(() => {
  if (hosting() && !sentFor) sendLayout();
  sentFor = hosting();
});
