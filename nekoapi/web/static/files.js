// Files (the file transfer plugin): the shared directory from filetransfer/update, uploads with
// progress, a download link and a delete button per file, as Neko's client/src/components/files.vue.
import { $, el } from "./dom.js";
import { api, on } from "./net.js";
import { isAdmin, state, subscribe, update } from "./store.js";
import { t } from "./strings.js";

on("filetransfer/update", (p) => update({ files: p }));

const size = (n) => (n == null ? "" : n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1048576).toFixed(1)} MiB`);
const may = (s, right) => isAdmin() || Boolean(s.files?.[right]);

function row(s, file) {
  const query = `filename=${encodeURIComponent(file.name)}&token=${encodeURIComponent(state.token)}`;
  const name = may(s, "user_download")
    ? el("a", { href: `api/filetransfer/?${query}`, download: file.name, "aria-label": t("download", { name: file.name }), text: file.name })
    : el("span", { text: file.name });
  const li = el("li", {}, name, el("small", { text: ` ${size(file.size)} ` }));
  if (may(s, "user_delete")) {
    li.append(el("button", { type: "button", class: "more", "aria-label": t("remove", { name: file.name }), text: "✕",
      onclick: () => remove(file.name) }));
  }
  return li;
}

async function remove(name) {
  try { await api(`filetransfer/?filename=${encodeURIComponent(name)}`, { method: "DELETE" }); }
  catch (error) { update({ notice: t("failed", { what: t("remove", { name }), why: error.message }) }); }
}

// XMLHttpRequest, not fetch: only it reports an upload's progress.
function upload(files) {
  const form = new FormData();
  for (const file of files) form.append("files", file, file.name);
  const request = new XMLHttpRequest();
  const progress = $("upload-progress");
  request.open("POST", "api/filetransfer/");
  request.setRequestHeader("Authorization", `Bearer ${state.token}`);
  request.upload.onprogress = (e) => { progress.hidden = false; progress.max = e.total; progress.value = e.loaded; };
  request.onloadend = () => {
    progress.hidden = true;
    $("upload").value = "";
    if (request.status !== 204) {
      const why = (() => { try { return JSON.parse(request.responseText).message; } catch { return String(request.status); } })();
      update({ notice: t("failed", { what: t("uploadFiles"), why }) });
    }
  };
  request.send(form);
}

export function renderFiles(s) {
  $("files").hidden = !s.files?.enabled;
  if ($("files").hidden) return;
  $("upload-label").hidden = !may(s, "user_upload");
  const files = s.files.files.filter((f) => f.type === "file");
  $("file-list").replaceChildren(...files.map((f) => row(s, f)));
}

export function bindFiles() {
  $("upload").addEventListener("change", (e) => { if (e.target.files.length) upload(e.target.files); });
}

subscribe(renderFiles);
