// Screen and quality: the desktop's resolution (administrators, from system/admin's list) and the video
// stream of the quality ladder, or "Auto": the server's estimator then moves this viewer between the
// streams by what its link carries, and says so with signal/video.
import { $, el } from "./dom.js";
import { api, emit, on } from "./net.js";
import { isAdmin, state, subscribe, update } from "./store.js";
import { t } from "./strings.js";

const sizeOf = (s) => `${s.width}x${s.height}${s.rate ? `@${s.rate}` : ""}`;
let auto = true;

on("signal/provide", (p) => { auto = Boolean(p.video?.auto); update({ video: p.video?.id || state.videos[0] || "" }); });
on("signal/video", (p) => { auto = Boolean(p.auto); update({ video: p.id }); });

// "Auto" starts from the first stream; the estimator steps down within a second if the link cannot carry it.
function choose(id) {
  emit("signal/video", id ? { selector: { type: "exact", id } } : { selector: { type: "exact", id: state.videos[0] }, auto: true });
}

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
    choose(e.target.value);
  });
  $("resolution").addEventListener("change", (e) => resize(e.target.value));
}

subscribe((s) => { renderQuality(s); renderResolution(s); });
