// Screen and quality: the desktop's resolution (administrators, from system/admin's list) and the video
// stream of the quality ladder, or "Auto": the page steps down a stream while packets are lost and back
// up after a clean half minute (the server keeps no estimator, so the choice is made here).
import { $, el } from "./dom.js";
import { api, emit, on } from "./net.js";
import { isAdmin, state, subscribe, update } from "./store.js";
import { sampler } from "./stats.js";
import { t } from "./strings.js";

const sizeOf = (s) => `${s.width}x${s.height}${s.rate ? `@${s.rate}` : ""}`;
let auto = true;
let clean = 0;
const sample = sampler();

on("signal/provide", (p) => update({ video: p.video?.id || state.videos[0] || "" }));
on("signal/video", (p) => update({ video: p.id }));

function choose(id) {
  emit("signal/video", { selector: { type: "exact", id } });
}

// Every 5 s while "Auto": loss over 5 % steps down, six clean samples in a row step up.
setInterval(async () => {
  const now = auto && state.videos.length > 1 ? await sample() : null;
  if (!now) return;
  const at = state.videos.indexOf(state.video);
  clean = now.loss > 5 ? 0 : clean + 1;
  if (now.loss > 5 && at < state.videos.length - 1) choose(state.videos[at + 1]);
  else if (clean >= 6 && at > 0) { clean = 0; choose(state.videos[at - 1]); }
}, 5000);

function renderQuality(s) {
  const box = $("quality");
  const ids = ["", ...s.videos].join(",");
  if (box.dataset.ids !== ids) {
    box.dataset.ids = ids;
    box.replaceChildren(el("option", { value: "", text: t("auto") }), ...s.videos.map((id) => el("option", { value: id, text: id })));
  }
  box.value = auto ? "" : s.video;
}

function renderResolution(s) {
  const box = $("resolution");
  $("resolution-label").hidden = !isAdmin() || !s.admin;
  const sizes = s.admin?.screen_sizes_list || [];
  const current = sizeOf(s.screen);
  const all = sizes.some((x) => sizeOf(x) === current) ? sizes : [s.screen, ...sizes];
  const key = all.map(sizeOf).join(",");
  if (box.dataset.sizes !== key) {
    box.dataset.sizes = key;
    box.replaceChildren(...all.map((x) => el("option", { value: sizeOf(x), text: sizeOf(x) })));
  }
  box.value = current;
}

async function resize(value) {
  const [width, height, rate] = value.split(/[x@]/).map(Number);
  try { await api("room/screen", { method: "POST", body: rate ? { width, height, rate } : { width, height } }); }
  catch (error) { update({ notice: t("failed", { what: t("resolution"), why: error.message }) }); }
}

export function bindQuality() {
  $("quality").addEventListener("change", (e) => {
    auto = e.target.value === "";
    clean = 0;
    choose(auto ? state.videos[0] : e.target.value);
  });
  $("resolution").addEventListener("change", (e) => resize(e.target.value));
}

subscribe((s) => { renderQuality(s); renderResolution(s); });
