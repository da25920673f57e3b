"use strict";
// The session explorer: the sessions are embedded as gzip-compressed JSON (base64), unpacked by
// the browser's own DecompressionStream; every value is written with textContent, never as HTML.
(async function explorer() {
  const FIELDS = ["timestamp", "question", "status", "match", "score", "elapsed_ms", "answer", "error", "feedback"];
  const status = document.getElementById("explorer-status");
  const input = document.getElementById("session-search");
  const results = document.getElementById("session-results");
  const conversation = document.getElementById("conversation");
  const MAX_RESULTS = 200;
  let sessions = [];

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function when(ms) {
    return new Date(ms).toISOString().replace("T", " ").slice(0, 16) + " UTC";
  }

  function duration(ms) {
    if (ms === null || ms === undefined) return null;
    return ms < 1000 ? ms + " ms" : (ms / 1000).toFixed(1) + " s";
  }

  function show(session, button) {
    for (const other of results.querySelectorAll("button[aria-current]")) other.removeAttribute("aria-current");
    if (button) button.setAttribute("aria-current", "true");
    conversation.replaceChildren();
    const heading = element("h3", null, "Session " + session.id);
    conversation.append(heading, element("p", "muted", session.lines.length + " question(s), " + when(session.lines[0].timestamp)));
    for (const line of session.lines) {
      const turn = element("div", "turn " + line.status);
      turn.dataset.status = line.status;
      turn.append(element("div", "when", when(line.timestamp)));
      turn.append(element("div", "q", line.question));
      const badges = element("div");
      badges.append(element("span", "badge status", line.status));
      if (line.match) badges.append(element("span", "badge", "match " + line.match + (line.score !== null ? " · " + line.score : "")));
      const took = duration(line.elapsed_ms);
      if (took) badges.append(element("span", "badge", took));
      if (line.feedback) badges.append(element("span", "badge", line.feedback));
      turn.append(badges);
      if (line.answer) turn.append(element("div", "a", line.answer));
      if (line.error) turn.append(element("div", "a err", line.error));
      conversation.append(turn);
    }
  }

  function search() {
    const term = input.value.trim().toLowerCase();
    const found = [];
    for (const session of sessions) {
      if (!term || session.id.toLowerCase().includes(term) || session.text.includes(term)) {
        found.push(session);
        if (found.length >= MAX_RESULTS) break;
      }
    }
    results.replaceChildren();
    for (const session of found) {
      const item = element("li");
      const button = element("button");
      button.type = "button";
      button.append(element("div", "id", session.id));
      button.append(element("div", "meta", session.lines.length + " question(s) · " + when(session.lines[0].timestamp) + " · " + session.lines[0].question.slice(0, 60)));
      button.addEventListener("click", () => show(session, button));
      item.append(button);
      results.append(item);
    }
    const shown = found.length >= MAX_RESULTS ? "the first " + MAX_RESULTS : String(found.length);
    status.textContent = term ? shown + " matching session(s) of " + sessions.length : sessions.length + " sessions (newest first)";
    return found;
  }

  try {
    const packed = document.getElementById("sessions-data").textContent.trim();
    const bytes = Uint8Array.from(atob(packed), (c) => c.charCodeAt(0));
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    const data = JSON.parse(await new Response(stream).text());
    sessions = data.sessions.map(([id, rows]) => {
      const lines = rows.map((row) => Object.fromEntries(FIELDS.map((name, i) => [name, row[i]])));
      return { id, lines, text: lines.map((line) => line.question.toLowerCase()).join("\n") };
    });
    sessions.sort((a, b) => b.lines[0].timestamp - a.lines[0].timestamp);
    input.addEventListener("input", search);
    search();
    document.body.dataset.explorer = "ready";
  } catch (error) {
    status.textContent = "The session explorer could not read its data: " + error;
    document.body.dataset.explorer = "failed";
  }
})();
