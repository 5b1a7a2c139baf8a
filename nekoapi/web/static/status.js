// The connection status, announced to screen readers as it changes.
import { $ } from "./dom.js";
import { subscribe } from "./store.js";
import { t } from "./strings.js";

function text(s) {
  if (s.connection === "retrying") return t("reconnecting", { s: s.retryIn });
  if (s.connection === "closed") return t("disconnected", { reason: s.reason });
  if (s.connection === "connecting") return t("connecting");
  return t(s.playing ? "playing" : "connected");
}

export function renderStatus(s) {
  const line = text(s);
  if ($("status").textContent !== line) $("status").textContent = line;
}

subscribe(renderStatus);
