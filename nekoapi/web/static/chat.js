// Chat (the chat plugin's chat/init and chat/message events): a log and a line to send.
import { $, el } from "./dom.js";
import { emit, on } from "./net.js";
import { nameOf, state, subscribe, update } from "./store.js";
import { t } from "./strings.js";

on("chat/init", (p) => update({ chatEnabled: Boolean(p?.enabled) }));
on("chat/message", (p) => update({ chat: [...state.chat, p].slice(-200) }));

let shown = 0;
export function renderChat(s) {
  $("chat-form").hidden = !s.chatEnabled;
  $("chat-off").hidden = s.chatEnabled;
  const log = $("chat-log");
  if (s.chat.length < shown) { log.replaceChildren(); shown = 0; }
  for (const line of s.chat.slice(shown)) {
    const time = new Date(line.created).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    log.append(el("li", {}, el("b", { text: nameOf(line.id) }), ` ${time} `, el("span", { text: line.content.text })));
  }
  shown = s.chat.length;
  log.scrollTop = log.scrollHeight;
}

export function bindChat() {
  $("chat-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const text = $("chat-text").value.trim();
    if (text) emit("chat/message", { text });
    $("chat-text").value = "";
    $("chat-text").focus(); // the next line, not the button, has the focus
  });
}

subscribe(renderChat);
