// The hand-over notice (ours): an agent driving the room's browser asked for a person, or a person
// holds the browser and the agents wait. One click takes the browser over, one gives it back.
import { $ } from "./dom.js";
import { api, on } from "./net.js";
import { state } from "./store.js";

let status = { paused: false };

function show(next) {
  status = next;
  const mine = status.paused && status.paused_by === state.id;
  let text = "";
  if (status.paused) text = mine ? "You hold the browser; the agents wait until you give it back." : "A person holds the browser; the agents wait.";
  else if (status.handover) text = `An agent asks for a person: ${status.handover.message}`;
  $("automation").hidden = !text;
  $("automation-text").textContent = text;
  $("automation-take").hidden = status.paused || !status.handover;
  $("automation-give-back").hidden = !mine;
}

on("automation/status", (p) => show(p));
on("automation/handover", (p) => show({ ...status, handover: p }));

async function call(action) {
  try { await api(`room/automation/${action}`, { method: "POST" }); } catch (error) { $("automation-text").textContent = error.message; }
}

export function bindAutomation() {
  $("automation-take").addEventListener("click", () => call("take"));
  $("automation-give-back").addEventListener("click", () => call("give-back"));
}
