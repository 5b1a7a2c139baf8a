// Files dropped on the video go to the desktop's window under the pointer (Neko's uploadDrop:
// POST room/upload/drop with x, y and the files), as if dragged there from a file manager.
import { $ } from "./dom.js";
import { api } from "./net.js";
import { hosting, state, update } from "./store.js";
import { t } from "./strings.js";

// The drop's point on the desktop, from the point on the video (the video keeps the screen's ratio).
function desktopPoint(e) {
  const box = $("video").getBoundingClientRect();
  const clamp = (v, size) => Math.max(0, Math.min(Math.round(v), size - 1));
  return [clamp(((e.clientX - box.left) / box.width) * state.screen.width, state.screen.width),
    clamp(((e.clientY - box.top) / box.height) * state.screen.height, state.screen.height)];
}

const mayDrop = () => hosting() || Boolean(state.settings.implicit_hosting);
const carriesFiles = (e) => [...(e.dataTransfer?.types || [])].includes("Files");

async function drop(e) {
  if (!carriesFiles(e)) return;
  e.preventDefault();
  $("stage").classList.remove("dropping");
  if (!mayDrop()) return update({ notice: t("dropNeedsControl") });
  const [x, y] = desktopPoint(e);
  const form = new FormData();
  form.append("x", String(x));
  form.append("y", String(y));
  const names = [...e.dataTransfer.files].map((file) => { form.append("files", file, file.name); return file.name; });
  update({ notice: t("dropping", { names: names.join(", ") }) });
  try {
    await api("room/upload/drop", { method: "POST", form });
    update({ notice: t("dropped", { names: names.join(", "), x, y }) });
  } catch (error) {
    update({ notice: t("failed", { what: t("dropFiles"), why: error.message }) });
  }
}

export function bindDrop() {
  const stage = $("stage");
  stage.addEventListener("dragover", (e) => {
    if (!carriesFiles(e)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = mayDrop() ? "copy" : "none";
    stage.classList.add("dropping");
  });
  stage.addEventListener("dragleave", () => stage.classList.remove("dropping"));
  stage.addEventListener("drop", drop);
}
