// Connection details: a region with the media's path, round-trip time, fps, bitrate, packet loss and
// decode time and the estimated glass-to-glass delay, sampled every second while it is open.
import { $, backToVideo, el } from "./dom.js";
import { sampler } from "./stats.js";
import { t } from "./strings.js";

let timer = 0;
const sample = sampler();

async function refresh() {
  const now = await sample();
  const rows = now ? [["path", now.path || t("unknown")], ["rtt", now.rtt == null ? t("unknown") : `${now.rtt} ms`],
    ["fps", String(now.fps)], ["bitrate", `${now.kbps} kbit/s`], ["loss", `${now.loss} %`],
    ["decode", now.decode == null ? t("unknown") : `${now.decode} ms`],
    ["delay", now.delay == null ? t("unknown") : `${now.delay} ms`]] : [["path", t("unknown")]];
  $("details-list").replaceChildren(...rows.flatMap(([key, value]) => [
    el("dt", { text: t(key) }), el("dd", { "data-key": key, text: value })]));
}

function toggle() {
  const open = $("details").hidden;
  $("details").hidden = !open;
  $("details-button").setAttribute("aria-expanded", String(open));
  clearInterval(timer);
  if (open) { refresh(); timer = setInterval(refresh, 1000); }
  backToVideo();
}

export function bindDetails() {
  $("details-button").addEventListener("click", toggle);
}
