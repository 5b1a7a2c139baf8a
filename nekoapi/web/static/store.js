// The page's one state store: the room as the server last described it. Panels subscribe and render from it.
export const state = {
  token: "", id: "", connection: "connecting", retryIn: 0, reason: "", diagnosis: "", playing: false,
  host: null, screen: { width: 1280, height: 720 }, sessions: {}, settings: {}, admin: null,
  requests: [], notice: "", chat: [], chatEnabled: false, files: null, videos: [], video: "", auto: false,
  clipboard: "",
};
const listeners = new Set();
let queued = false;

export function subscribe(render) {
  listeners.add(render);
}

// Changes the state and renders every panel once, at the next microtask.
export function update(patch) {
  Object.assign(state, patch);
  if (queued) return;
  queued = true;
  queueMicrotask(() => {
    queued = false;
    for (const render of listeners) render(state);
  });
}

export const me = () => state.sessions[state.id];
export const isAdmin = () => Boolean(me()?.profile?.is_admin);
export const hosting = () => state.host !== null && state.host === state.id;
export const nameOf = (id) => state.sessions[id]?.profile?.name || id;
