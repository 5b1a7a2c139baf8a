// Broadcast (administrators): push the screen to an RTMP URL, stop it, and see whether it runs
// (system/admin on connect, broadcast/status after each change), as Neko's client/src/components/settings.vue.
import { $, el } from "./dom.js";
import { api, on } from "./net.js";
import { isAdmin, subscribe, update } from "./store.js";
import { t } from "./strings.js";

let status = { is_active: false };
let busy = false;

on("system/admin", (p) => { status = p?.broadcast_status || status; update({}); });
on("broadcast/status", (p) => { status = p; update({}); });

async function startOrStop(e) {
  e.preventDefault();
  busy = true;
  update({});
  try {
    if (status.is_active) await api("room/broadcast/stop", { method: "POST" });
    else await api("room/broadcast/start", { method: "POST", body: { url: $("broadcast-url").value.trim() } });
    status = await api("room/broadcast");
    update({ notice: "" });
  } catch (error) {
    update({ notice: t("failed", { what: t(status.is_active ? "stopBroadcast" : "startBroadcast"), why: error.message }) });
  } finally {
    busy = false;
    update({});
  }
}

export function renderBroadcast() {
  const box = $("broadcast");
  box.hidden = !isAdmin();
  if (box.hidden) return;
  const url = $("broadcast-url");
  if (document.activeElement !== url && status.url && !url.value) url.value = status.url;
  url.disabled = status.is_active || busy;
  $("broadcast-go").textContent = t(status.is_active ? "stopBroadcast" : "startBroadcast");
  $("broadcast-go").disabled = busy;
  const line = status.is_active ? t("broadcasting", { url: status.url || "" }) : t("notBroadcasting");
  if ($("broadcast-status").textContent !== line) $("broadcast-status").textContent = line;
}

export function bindBroadcast() {
  const form = el("form", { id: "broadcast", "aria-labelledby": "broadcast-title", hidden: true, onsubmit: startOrStop },
    el("h2", { id: "broadcast-title", text: t("broadcast") }),
    el("input", { id: "broadcast-url", type: "url", required: true, placeholder: "rtmp://…", "aria-label": t("broadcastUrl"),
      autocomplete: "off" }),
    el("button", { id: "broadcast-go", type: "submit", text: t("startBroadcast") }),
    el("p", { id: "broadcast-status", role: "status", "aria-label": t("broadcastStatus") }));
  $("members").parentElement.after(form);
}

subscribe(renderBroadcast);
