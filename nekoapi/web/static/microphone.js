// The microphone, for members who may share media (can_share_media): getUserMedia's track added to
// the room's peer, which the page then renegotiates (signal/offer, the server answers with
// signal/answer); the server plays it into the desktop's microphone. Off again stops the track.
import { $, backToVideo, el } from "./dom.js";
import { emit, on } from "./net.js";
import { me, state, subscribe, update } from "./store.js";
import { t } from "./strings.js";

let track = null;
let sender = null;

on("signal/answer", (p) => {
  if (state.pc) state.pc.setRemoteDescription({ type: "answer", sdp: p.sdp }).catch((e) => console.warn("answer", e));
});
on("closed", () => stop());
// A new peer (a reconnect) carries no microphone: the button shows off.
on("signal/provide", () => stop());

async function renegotiate() {
  await state.pc.setLocalDescription(await state.pc.createOffer());
  emit("signal/offer", { sdp: state.pc.localDescription.sdp });
}

async function start() {
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true } });
    track = stream.getAudioTracks()[0];
    sender = state.pc.addTrack(track, stream);
    await renegotiate();
    update({ notice: "" });
  } catch (error) {
    stop();
    update({ notice: t("failed", { what: t("microphone"), why: error.message }) });
  }
}

function stop() {
  if (track) track.stop();
  // The peer it was added to may be gone already (a new one after a reconnect).
  if (sender && state.pc?.getSenders().includes(sender)) {
    state.pc.removeTrack(sender);
    renegotiate().catch(() => {});
  }
  track = sender = null;
  update({});
}

export function toggleMicrophone() {
  if (!allowed()) return;
  if (track) stop(); else start();
  backToVideo();
}

const allowed = () => Boolean(me()?.profile?.can_share_media && state.pc && navigator.mediaDevices?.getUserMedia);

export function renderMicrophone() {
  const button = $("microphone");
  button.hidden = !allowed();
  button.textContent = t("microphone");
  button.setAttribute("aria-pressed", String(Boolean(track)));
}

export function bindMicrophone() {
  $("mute").parentElement.append(el("button", { id: "microphone", type: "button", hidden: true, onclick: toggleMicrophone }));
}

subscribe(renderMicrophone);
