// Sound and view: mute and volume (the page starts muted, as browsers allow autoplay only so; the
// "Unmute" button is the prompt), fullscreen and picture in picture, as Neko's client/src/components/video.vue.
import { $, backToVideo } from "./dom.js";
import { subscribe, update } from "./store.js";
import { t } from "./strings.js";

const video = () => $("video");

function toggleMute() {
  video().muted = !video().muted;
  if (!video().muted && video().volume === 0) video().volume = 0.5;
  render();
  backToVideo();
}

async function fullscreen() {
  try {
    if (document.fullscreenElement) await document.exitFullscreen();
    else await $("room").requestFullscreen(); // the panels stay, with the way out
  } catch (error) { update({ notice: t("failed", { what: t("fullscreen"), why: error.message }) }); }
  backToVideo();
}

async function pictureInPicture() {
  try {
    if (document.pictureInPictureElement) await document.exitPictureInPicture();
    else await video().requestPictureInPicture();
  } catch (error) { update({ notice: t("failed", { what: t("pip"), why: error.message }) }); }
  backToVideo();
}

export function render() {
  $("mute").textContent = t(video().muted ? "unmute" : "mute");
  $("mute").classList.toggle("prompt", video().muted);
  $("volume").value = String(Math.round(video().volume * 100));
  $("volume").setAttribute("aria-valuetext", `${$("volume").value} %`);
  $("fullscreen").setAttribute("aria-pressed", String(Boolean(document.fullscreenElement)));
  $("pip").setAttribute("aria-pressed", String(Boolean(document.pictureInPictureElement)));
  $("pip").hidden = !document.pictureInPictureEnabled;
}

export function bindSound() {
  $("mute").addEventListener("click", toggleMute);
  $("volume").addEventListener("input", (e) => {
    video().volume = Number(e.target.value) / 100;
    video().muted = video().volume === 0;
    render();
  });
  $("fullscreen").addEventListener("click", fullscreen);
  $("pip").addEventListener("click", pictureInPicture);
  for (const event of ["fullscreenchange"]) document.addEventListener(event, render);
  for (const event of ["enterpictureinpicture", "leavepictureinpicture", "volumechange"]) video().addEventListener(event, render);
  render();
}

subscribe(render);
