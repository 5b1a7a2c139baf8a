// Control: request or release it, take it (administrators), and, for the host, each request as an
// alertdialog to give or deny (Neko's client shows a host the same choice, client/src/components/controls.vue).
import { $, backToVideo, el } from "./dom.js";
import { api, emit, on } from "./net.js";
import { hosting, isAdmin, nameOf, state, subscribe, update } from "./store.js";
import { t } from "./strings.js";

on("control/request", (p) => {
  if (!state.requests.includes(p.id)) update({ requests: [...state.requests, p.id] });
});

async function act(what, call) {
  try {
    await call();
    update({ notice: "" });
  } catch (error) {
    update({ notice: t("failed", { what, why: error.message }) });
  }
}

function toggle() {
  if (hosting()) emit("control/release");
  else {
    emit("control/request");
    if (state.host) update({ notice: t("requestSent", { name: nameOf(state.host) }) });
  }
  backToVideo();
}

export function give(id) {
  update({ requests: state.requests.filter((r) => r !== id) });
  act(t("giveControl"), () => api(`room/control/give/${encodeURIComponent(id)}`, { method: "POST" }));
  backToVideo();
}

function deny(id) {
  update({ requests: state.requests.filter((r) => r !== id) });
  backToVideo();
}

function renderRequest(s) {
  const box = $("request");
  const id = hosting() ? s.requests[0] : undefined;
  if (box.dataset.id === (id ?? "")) return;
  box.dataset.id = id ?? "";
  box.hidden = !id;
  if (!id) return box.replaceChildren();
  const label = el("p", { id: "request-text", text: t("asksControl", { name: nameOf(id) }) });
  const yes = el("button", { type: "button", text: t("giveControl"), onclick: () => give(id) });
  box.replaceChildren(label, yes, el("button", { type: "button", text: t("deny"), onclick: () => deny(id) }));
  yes.focus();
}

export function renderControl(s) {
  $("control").textContent = t(hosting() ? "releaseControl" : "requestControl");
  $("control").disabled = s.connection !== "open";
  $("take").hidden = !isAdmin() || hosting();
  $("host").textContent = hosting() ? t("youHost") : s.host ? t("hostIs", { name: nameOf(s.host) }) : t("nobodyHosts");
  $("notice").textContent = s.notice;
  $("video").classList.toggle("hosting", hosting());
  $("screen").classList.toggle("hosting", hosting());
  renderRequest(s);
}

export function bindControl() {
  $("control").addEventListener("click", toggle);
  $("take").addEventListener("click", () => {
    act(t("takeControl"), () => api("room/control/take", { method: "POST" }));
    backToVideo();
  });
}

subscribe(renderControl);
