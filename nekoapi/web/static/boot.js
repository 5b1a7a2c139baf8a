// The page's loader, a classic script that runs before its modules: a module that fails to arrive (the
// browser drops requests in flight when its network changes, say) leaves the page without its script, so
// the page is loaded again, up to five times in a row and a little later each time, as a person would press
// reload.
"use strict";
(() => {
  const KEY = "nekoapi.reloads";
  window.addEventListener("error", (event) => {
    if (!(event.target instanceof HTMLScriptElement) || event.target.type !== "module") return;
    const reloads = Number(sessionStorage.getItem(KEY) || 0);
    if (reloads >= 5) return;
    sessionStorage.setItem(KEY, String(reloads + 1));
    setTimeout(() => location.reload(), 500 * (reloads + 1));
  }, true);
  // Loaded in full: the next failure starts the count again.
  window.addEventListener("load", () => { if (window.nekoRoom) sessionStorage.removeItem(KEY); });
})();
