// Members: who is connected, their role, and for administrators a menu per member (give control, kick,
// mute, ban, as Neko's client/src/components/context.vue offers) and the room's settings.
import { $, backToVideo, el } from "./dom.js";
import { api } from "./net.js";
import { give } from "./control.js";
import { hosting, isAdmin, state, subscribe, update } from "./store.js";
import { t } from "./strings.js";

let open = "";

async function act(what, call) {
  open = "";
  update({ notice: "" });
  try { await call(); } catch (error) { update({ notice: t("failed", { what, why: error.message }) }); }
}

const member = (id) => `members/${encodeURIComponent(id)}`;
// A profile update replaces the plugins object as a whole: send it whole, with the one switch changed.
const chatSend = (id, allowed) => api(member(id), {
  method: "POST", body: { plugins: { ...state.sessions[id]?.profile?.plugins, "chat.can_send": allowed } },
});
const ACTIONS = {
  giveControl: (id) => give(id),
  kick: (id) => act(t("kick"), () => api(`sessions/${encodeURIComponent(id)}`, { method: "DELETE" })),
  mute: (id) => act(t("mute"), () => chatSend(id, false)),
  unmute: (id) => act(t("unmute"), () => chatSend(id, true)),
  ban: (id) => act(t("ban"), async () => {
    await api(member(id), { method: "POST", body: { can_login: false, can_connect: false } });
    await api(`sessions/${encodeURIComponent(id)}`, { method: "DELETE" });
  }),
};

function actionsFor(session) {
  const admin = isAdmin();
  const muted = session.profile?.plugins?.["chat.can_send"] === false;
  const canHost = session.profile?.can_host && session.id !== state.host;
  return [
    canHost && (admin || hosting()) && "giveControl",
    admin && "kick", admin && (muted ? "unmute" : "mute"), admin && "ban",
  ].filter(Boolean);
}

function menu(session, name, actions) {
  const items = actions.map((action) => el("li", { role: "none" }, el("button", {
    type: "button", role: "menuitem", text: t(action),
    onclick: () => { open = ""; ACTIONS[action](session.id); backToVideo(); },
  })));
  const close = (e) => {
    if (e.key !== "Escape") return;
    open = "";
    update({});
    queueMicrotask(() => $("members").querySelector(`[aria-label="${CSS.escape(t("actionsFor", { name }))}"]`)?.focus());
  };
  return el("ul", { role: "menu", "aria-label": t("actionsFor", { name }), onkeydown: close }, ...items);
}

function row(session) {
  const name = session.profile?.name || session.id;
  const tags = [session.id === state.id && t("you"), session.id === state.host && t("host"),
    session.profile?.is_admin && t("admin")].filter(Boolean);
  const li = el("li", { class: session.id === state.id ? "me" : "" }, el("span", { text: name }),
    tags.length ? el("small", { text: ` (${tags.join(", ")})` }) : "");
  li.classList.toggle("watching", Boolean(session.state?.is_watching));
  const actions = session.id === state.id ? [] : actionsFor(session);
  if (actions.length) {
    const expanded = open === session.id;
    li.append(el("button", {
      type: "button", "aria-haspopup": "menu", "aria-expanded": String(expanded), class: "more",
      "aria-label": t("actionsFor", { name }), text: "⋯",
      onclick: () => { open = expanded ? "" : session.id; update({}); },
    }));
    if (expanded) li.append(menu(session, name, actions));
  }
  return li;
}

const SETTINGS = [["locked_logins", "lockLogins"], ["locked_controls", "lockControls"],
  ["private_mode", "privateMode"], ["implicit_hosting", "implicitHosting"]];

function renderSettings(s) {
  const box = $("settings");
  box.hidden = !isAdmin();
  if (box.hidden) return;
  if (!box.childElementCount) {
    box.append(el("legend", { text: t("roomSettings") }), ...SETTINGS.map(([field, key]) => el("label", {},
      el("input", { type: "checkbox", "data-field": field, onchange: (e) => setting(field, e.target.checked) }), ` ${t(key)}`)));
  }
  for (const input of box.querySelectorAll("input")) input.checked = Boolean(s.settings[input.dataset.field]);
}

function setting(field, value) {
  act(t("roomSettings"), () => api("room/settings", { method: "POST", body: { [field]: value } }));
}

export function renderMembers(s) {
  const focused = document.activeElement?.getAttribute("aria-label");
  const rows = Object.values(s.sessions).filter((x) => x.state?.is_connected).map(row);
  $("members").replaceChildren(...rows);
  // Re-rendering replaces the buttons: keep focus on the same one, and on the first item of a menu just opened.
  const again = focused && [...$("members").querySelectorAll("button")].find((b) => b.getAttribute("aria-label") === focused);
  if (again) again.focus();
  const first = open && $("members").querySelector("[role=menuitem]");
  if (first && again) first.focus();
  renderSettings(s);
}

subscribe(renderMembers);
