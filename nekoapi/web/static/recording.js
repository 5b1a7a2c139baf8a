// Recordings (ours): a "Recording" notice for everyone while the room is recorded, and for administrators
// a panel to start and stop, play a recording back (a <video> on the download route) and delete it.
import { $, backToVideo, el } from "./dom.js";
import { api, on } from "./net.js";
import { isAdmin, state, subscribe, update } from "./store.js";
import { t } from "./strings.js";

const size = (n) => (n < 1048576 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1048576).toFixed(1)} MiB`);
const fileUrl = (name) => `api/room/recordings/${encodeURIComponent(name)}?token=${encodeURIComponent(state.token)}`;

async function refresh() {
  const recording = await api("room/recording").catch(() => null);
  const recordings = isAdmin() ? await api("room/recordings").catch(() => []) : [];
  update({ recording, recordings });
}

on("system/init", refresh);
on("recording/status", (status) => {
  update({ recording: status });
  if (isAdmin()) refresh();
});

async function call(what, path, method = "POST") {
  try { await api(path, { method }); } catch (error) { update({ notice: t("failed", { what, why: error.message }) }); }
  await refresh();
}

function play(name) {
  const video = $("playback");
  video.hidden = false;
  video.setAttribute("aria-label", t("playback", { name }));
  video.src = fileUrl(name);
  video.play().catch(() => {});
}

function row(file) {
  return el("li", {}, el("span", { text: file.name }), el("small", { text: ` ${size(file.size)} ` }),
    el("button", { type: "button", "aria-label": t("play", { name: file.name }), text: "▶", onclick: () => play(file.name) }),
    el("button", { type: "button", class: "more", "aria-label": t("removeRecording", { name: file.name }), text: "✕",
      onclick: () => call(t("removeRecording", { name: file.name }), `room/recordings/${encodeURIComponent(file.name)}`, "DELETE") }));
}

export function renderRecording(s) {
  const recording = Boolean(s.recording?.recording);
  $("recording-indicator").hidden = !recording;
  $("recording-error").textContent = s.recording?.error ? t("recordingFailed", { why: s.recording.error }) : "";
  $("recordings").hidden = !isAdmin();
  if (!isAdmin()) return;
  $("recording-start").hidden = recording;
  $("recording-stop").hidden = !recording;
  $("recording-list").replaceChildren(...(s.recordings || []).map(row));
}

export function bindRecording() {
  $("recording-start").addEventListener("click", () => { call(t("startRecording"), "room/recording/start"); backToVideo(); });
  $("recording-stop").addEventListener("click", () => { call(t("stopRecording"), "room/recording/stop"); backToVideo(); });
}

subscribe(renderRecording);
