// Every string the page shows, in one table: English and German. t() picks the browser's language.
const TABLE = {
  en: {
    title: "nekoapi room", username: "Username", password: "Password", logIn: "Log in", logOut: "Log out",
    loginFailed: "Login failed", sessionEnded: "Your session ended; log in again.", screen: "Room screen", connectionStatus: "Connection status",
    connecting: "Connecting…", connected: "Connected", playing: "Connected, playing",
    reconnecting: "Disconnected; reconnecting in {s} s", disconnected: "Disconnected: {reason}",
    requestControl: "Request control", releaseControl: "Release control", giveControl: "Give control",
    deny: "Deny", asksControl: "{name} asks for control", controlTitle: "Control",
    youHost: "You have control", hostIs: "{name} has control", nobodyHosts: "Nobody has control",
    requestSent: "Request sent to {name}", takeControl: "Take control", resetControl: "Reset control",
    chat: "Chat", chatMessage: "Chat message", send: "Send", chatOff: "Chat is off for you",
    members: "Members", actionsFor: "Actions for {name}", kick: "Kick", mute: "Mute", unmute: "Unmute",
    ban: "Ban", host: "host", admin: "admin", you: "you", roomSettings: "Room settings",
    lockLogins: "Lock logins", lockControls: "Lock controls", privateMode: "Private mode",
    implicitHosting: "Implicit hosting", failed: "{what} failed: {why}",
    sound: "Sound", volume: "Volume", fullscreen: "Fullscreen", pip: "Picture in picture",
    resolution: "Resolution", quality: "Quality", auto: "Auto",
    files: "Files", uploadFiles: "Upload files", download: "Download {name}", remove: "Delete {name}",
    uploading: "Uploading {name}…", clipboard: "Clipboard", clipboardHint: "Sent to the desktop when you change it",
    details: "Connection details", path: "Path", rtt: "Round-trip time", fps: "Frames per second",
    bitrate: "Bitrate", loss: "Packet loss", decode: "Decode time", unknown: "unknown",
    recording: "Recording", recordings: "Recordings", startRecording: "Start recording", stopRecording: "Stop recording",
    play: "Play {name}", playback: "Playback of {name}", removeRecording: "Delete recording {name}",
    recordingFailed: "The recording stopped: {why}",
  },
  de: {
    title: "nekoapi-Raum", username: "Benutzername", password: "Passwort", logIn: "Anmelden", logOut: "Abmelden",
    loginFailed: "Anmeldung fehlgeschlagen", sessionEnded: "Ihre Sitzung ist beendet; bitte neu anmelden.", screen: "Raumbildschirm", connectionStatus: "Verbindungsstatus",
    connecting: "Verbinde…", connected: "Verbunden", playing: "Verbunden, läuft",
    reconnecting: "Getrennt; neuer Versuch in {s} s", disconnected: "Getrennt: {reason}",
    requestControl: "Steuerung anfordern", releaseControl: "Steuerung abgeben", giveControl: "Steuerung geben",
    deny: "Ablehnen", asksControl: "{name} bittet um die Steuerung", controlTitle: "Steuerung",
    youHost: "Sie steuern", hostIs: "{name} steuert", nobodyHosts: "Niemand steuert",
    requestSent: "Anfrage an {name} gesendet", takeControl: "Steuerung übernehmen", resetControl: "Steuerung zurücksetzen",
    chat: "Chat", chatMessage: "Chatnachricht", send: "Senden", chatOff: "Chat ist für Sie aus",
    members: "Mitglieder", actionsFor: "Aktionen für {name}", kick: "Hinauswerfen", mute: "Stummschalten",
    unmute: "Ton an", ban: "Sperren", host: "steuert", admin: "Admin", you: "Sie", roomSettings: "Raumeinstellungen",
    lockLogins: "Anmeldungen sperren", lockControls: "Steuerung sperren", privateMode: "Privater Modus",
    implicitHosting: "Implizite Steuerung", failed: "{what} fehlgeschlagen: {why}",
    sound: "Ton", volume: "Lautstärke", fullscreen: "Vollbild", pip: "Bild im Bild",
    resolution: "Auflösung", quality: "Qualität", auto: "Automatisch",
    files: "Dateien", uploadFiles: "Dateien hochladen", download: "{name} herunterladen", remove: "{name} löschen",
    uploading: "Lade {name} hoch…", clipboard: "Zwischenablage", clipboardHint: "Wird beim Ändern an den Desktop gesendet",
    details: "Verbindungsdetails", path: "Weg", rtt: "Umlaufzeit", fps: "Bilder pro Sekunde",
    bitrate: "Bitrate", loss: "Paketverlust", decode: "Dekodierzeit", unknown: "unbekannt",
    recording: "Aufnahme läuft", recordings: "Aufnahmen", startRecording: "Aufnahme starten", stopRecording: "Aufnahme beenden",
    play: "{name} abspielen", playback: "Wiedergabe von {name}", removeRecording: "Aufnahme {name} löschen",
    recordingFailed: "Die Aufnahme wurde beendet: {why}",
  },
};

// Emotes and emoji, broadcast, microphone, dropping files, personal settings, shortcuts, tabs.
Object.assign(TABLE.en, {
  emotes: "Emotes", moreEmotes: "More emotes", allEmotes: "Choose an emote", emoteFrom: "{name}: {emote}",
  emoji: "Emoji", emojiPicker: "Choose an emoji",
  broadcast: "Broadcast", broadcastUrl: "Broadcast URL", startBroadcast: "Start broadcast",
  stopBroadcast: "Stop broadcast", broadcasting: "Broadcasting to {url}", notBroadcasting: "Not broadcasting",
  broadcastStatus: "Broadcast status", microphone: "Microphone",
  dropFiles: "Dropping files", dropNeedsControl: "Take control to drop files on the desktop",
  dropping: "Dropping {names}…", dropped: "Dropped {names} at {x}, {y}",
  mySettings: "Your settings", keyboardLayout: "Keyboard layout", scrollSensitivity: "Scroll sensitivity",
  invertScroll: "Invert scrolling",
  shortcuts: "Keyboard shortcuts", scKey: "Key", scAction: "Action", close: "Close",
  shortcutsHint: "While you control the desktop and the video has the focus, every key goes to the desktop.",
  scControl: "Request or release control", scMute: "Mute or unmute", scLouder: "Louder", scQuieter: "Quieter",
  scChat: "Write in the chat", scVideo: "Focus the video",
  takeOver: "Take over", watchHere: "Watch here", elsewhere: "open in another tab",
  otherTab: "This room is open in another tab of this browser.",
  replaced: "This room went on in another tab of this browser.",
  // Emote names where Neko's wire name is no word.
  "emote.prey": "pray", "emote.smerk": "smirk", "emote.drule": "drool", "emote.odd": "woozy",
});
Object.assign(TABLE.de, {
  emotes: "Emotes", moreEmotes: "Weitere Emotes", allEmotes: "Emote auswählen", emoteFrom: "{name}: {emote}",
  emoji: "Emoji", emojiPicker: "Emoji auswählen",
  broadcast: "Übertragung", broadcastUrl: "Übertragungs-URL", startBroadcast: "Übertragung starten",
  stopBroadcast: "Übertragung beenden", broadcasting: "Überträgt an {url}", notBroadcasting: "Keine Übertragung",
  broadcastStatus: "Übertragungsstatus", microphone: "Mikrofon",
  dropFiles: "Dateien ablegen", dropNeedsControl: "Übernehmen Sie die Steuerung, um Dateien abzulegen",
  dropping: "Lege {names} ab…", dropped: "{names} bei {x}, {y} abgelegt",
  mySettings: "Ihre Einstellungen", keyboardLayout: "Tastaturbelegung", scrollSensitivity: "Scroll-Empfindlichkeit",
  invertScroll: "Scrollrichtung umkehren",
  shortcuts: "Tastenkürzel", scKey: "Taste", scAction: "Aktion", close: "Schließen",
  shortcutsHint: "Während Sie den Desktop steuern und das Video den Fokus hat, gehen alle Tasten an den Desktop.",
  scControl: "Steuerung anfordern oder abgeben", scMute: "Ton aus oder an", scLouder: "Lauter", scQuieter: "Leiser",
  scChat: "Im Chat schreiben", scVideo: "Video fokussieren",
  takeOver: "Übernehmen", watchHere: "Hier zusehen", elsewhere: "in einem anderen Tab geöffnet",
  otherTab: "Dieser Raum ist in einem anderen Tab dieses Browsers geöffnet.",
  replaced: "Dieser Raum läuft in einem anderen Tab dieses Browsers weiter.",
  "emote.anger": "Wut", "emote.bomb": "Bombe", "emote.sleep": "Schlaf", "emote.explode": "Explosion",
  "emote.sweat": "Schweiß", "emote.poo": "Kacke", "emote.hundred": "Hundert", "emote.alert": "Alarm",
  "emote.punch": "Faust", "emote.wave": "Winken", "emote.okay": "Okay", "emote.thumbs-up": "Daumen hoch",
  "emote.clap": "Klatschen", "emote.prey": "Beten", "emote.celebrate": "Feiern", "emote.flame": "Feuer",
  "emote.goof": "Albern", "emote.love": "Verliebt", "emote.cool": "Cool", "emote.smerk": "Grinsen",
  "emote.worry": "Besorgt", "emote.ouch": "Autsch", "emote.cry": "Weinen", "emote.surprised": "Überrascht",
  "emote.quiet": "Psst", "emote.rage": "Zorn", "emote.annoy": "Genervt", "emote.steamed": "Schnauben",
  "emote.scared": "Ängstlich", "emote.terrified": "Entsetzt", "emote.sleepy": "Müde", "emote.dead": "Erledigt",
  "emote.happy": "Fröhlich", "emote.roll-eyes": "Augenrollen", "emote.thinking": "Nachdenklich",
  "emote.clown": "Clown", "emote.sick": "Übel", "emote.rofl": "Lachen", "emote.drule": "Sabbern",
  "emote.sniff": "Niesen", "emote.sus": "Skeptisch", "emote.party": "Party", "emote.odd": "Benommen",
  "emote.hot": "Heiß", "emote.cold": "Kalt", "emote.blush": "Lächeln", "emote.sad": "Traurig",
});

const wanted = new URLSearchParams(location.search).get("lang") || navigator.language || "en";
export const LANGUAGE = TABLE[wanted.slice(0, 2)] ? wanted.slice(0, 2) : "en";

export function t(key, values = {}) {
  const text = TABLE[LANGUAGE][key] ?? TABLE.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

// Fills every [data-t] element's text and every [data-t-label] element's aria-label from the table.
export function translate(root = document) {
  document.documentElement.lang = LANGUAGE;
  for (const el of root.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
  for (const el of root.querySelectorAll("[data-t-label]")) el.setAttribute("aria-label", t(el.dataset.tLabel));
  for (const el of root.querySelectorAll("[data-t-placeholder]")) el.placeholder = t(el.dataset.tPlaceholder);
}

// Phones, touch and the on-screen keyboard (sheets.js, touch.js).
Object.assign(TABLE.en, {
  panels: "Panels", openPanel: "Open a panel", closePanels: "Close panels", keyboard: "Keyboard", keyboardInput: "Keyboard input",
});
Object.assign(TABLE.de, {
  panels: "Bedienfelder", openPanel: "Bedienfeld öffnen", closePanels: "Bedienfelder schließen", keyboard: "Tastatur",
  keyboardInput: "Tastatureingabe",
});

// Connection details: the estimated delay (stats.js).
Object.assign(TABLE.en, {
  delay: "Estimated delay, glass to glass",
});
Object.assign(TABLE.de, {
  delay: "Geschätzte Verzögerung, Glas zu Glas",
});

// Media over the WebSocket when no ICE path works (wsmedia.js).
Object.assign(TABLE.en, {
  useSocketMedia: "Use the WebSocket for media",
  socketMediaUnplayable: "This browser can play media from the WebSocket neither with WebCodecs nor with Media Source Extensions",
  socketCodecNeedsHttps: "{codec} from the WebSocket plays only on an https page (VP8 and VP9 play over plain http too)",
  socketMediaFailed: "The WebSocket for media (/api/room/media) did not open either: a proxy in between must pass WebSocket upgrades",
});
Object.assign(TABLE.de, {
  useSocketMedia: "Medien über den WebSocket empfangen",
  socketMediaUnplayable: "Dieser Browser kann Medien aus dem WebSocket weder mit WebCodecs noch mit Media Source Extensions abspielen",
  socketCodecNeedsHttps: "{codec} aus dem WebSocket läuft nur auf einer https-Seite (VP8 und VP9 laufen auch über einfaches http)",
  socketMediaFailed: "Auch der WebSocket für Medien (/api/room/media) öffnete sich nicht: ein Proxy dazwischen muss WebSocket-Upgrades durchlassen",
});

// The failed step, when the video does not play (diagnosis.js).
Object.assign(TABLE.en, {
  connectionProblem: "Connection problem",
  "failed.websocket": "The server answers, but the room's WebSocket (/api/ws) did not open. A proxy or tunnel in front of the server must pass WebSocket upgrades (the Upgrade and Connection headers).",
  "failed.ice": "No network path to the server's media ports ({ports}): ICE failed. Open or publish those ports, set webrtc.tcpmux for a TCP port, or configure a TURN server (webrtc.turn or webrtc.iceservers).",
  "failed.dtls": "A network path to the media port was found, but the encrypted handshake over it (DTLS) did not complete. Something on the way drops or changes larger UDP packets: a firewall inspecting UDP, or a VPN or tunnel with a small MTU.",
  "failed.media": "Connected, but no video or sound arrives: packets after the handshake are dropped on the way ({ports}), or the server sends none (its log says why).",
  "failed.behindNat": "The server offers only private addresses: behind NAT, set webrtc.nat1to1 to its public address.",
  "failed.socketInstead": "The page plays over the WebSocket instead.",
  noCandidates: "none offered",
});
Object.assign(TABLE.de, {
  connectionProblem: "Verbindungsproblem",
  "failed.websocket": "Der Server antwortet, aber der WebSocket des Raums (/api/ws) öffnete sich nicht. Ein Proxy oder Tunnel vor dem Server muss WebSocket-Upgrades durchlassen (die Header Upgrade und Connection).",
  "failed.ice": "Kein Netzweg zu den Medienports des Servers ({ports}): ICE ist gescheitert. Öffnen oder veröffentlichen Sie diese Ports, setzen Sie webrtc.tcpmux für einen TCP-Port oder richten Sie einen TURN-Server ein (webrtc.turn oder webrtc.iceservers).",
  "failed.dtls": "Ein Netzweg zum Medienport wurde gefunden, aber der verschlüsselte Handshake darüber (DTLS) wurde nicht fertig. Etwas unterwegs verwirft oder verändert größere UDP-Pakete: eine Firewall, die UDP prüft, oder ein VPN oder Tunnel mit kleiner MTU.",
  "failed.media": "Verbunden, aber weder Bild noch Ton kommen an: Pakete nach dem Handshake werden unterwegs verworfen ({ports}), oder der Server sendet keine (sein Log sagt warum).",
  "failed.behindNat": "Der Server bietet nur private Adressen an: hinter NAT setzen Sie webrtc.nat1to1 auf seine öffentliche Adresse.",
  "failed.socketInstead": "Die Seite spielt stattdessen über den WebSocket.",
  noCandidates: "keine angeboten",
});
