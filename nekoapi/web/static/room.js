// The room's events into the store: who is here, who hosts, the settings and the screen.
import { on } from "./net.js";
import { state, update } from "./store.js";

const hostOf = (c) => (c && c.has_host ? c.host_id : null);
const withSession = (id, part) => {
  const session = state.sessions[id];
  if (session) update({ sessions: { ...state.sessions, [id]: { ...session, ...part } } });
};

on("system/init", (p) => update({
  id: p.session_id, screen: p.screen_size || state.screen, host: hostOf(p.control_host), sessions: p.sessions || {},
  settings: p.settings || {}, videos: p.webrtc?.videos || [], connection: "open", reason: "", requests: [],
}));
on("system/admin", (p) => update({ admin: p }));
on("system/settings", (p) => update({ settings: p }));
on("screen/updated", (p) => update({ screen: p }));
on("control/host", (p) => update({ host: hostOf(p), requests: state.requests.filter((id) => id !== hostOf(p)) }));
on("session/created", (p) => update({ sessions: { ...state.sessions, [p.id]: p } }));
on("session/deleted", (p) => {
  const { [p.id]: _, ...rest } = state.sessions;
  update({ sessions: rest, requests: state.requests.filter((id) => id !== p.id) });
});
on("session/profile", (p) => withSession(p.id, { profile: p }));
on("session/state", (p) => withSession(p.id, { state: p }));
