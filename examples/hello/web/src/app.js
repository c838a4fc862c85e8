// Lists notes from the API and adds new ones. Same origin: the proxy routes /api to the API service.
"use strict";

const form = document.getElementById("note-form");
const input = document.getElementById("note-text");
const errorBox = document.getElementById("error");
const list = document.getElementById("notes");
const empty = document.getElementById("empty");
const counters = document.getElementById("counters");
const version = document.getElementById("version");

function showError(message) {
  errorBox.textContent = message;
  errorBox.hidden = !message;
}

async function requestJson(url, options) {
  const res = await fetch(url, options);
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new Error((body && body.error) || `${res.status} ${res.statusText}`);
  return body;
}

function counterText(value) {
  return value === null || value === undefined ? "n/a" : String(value);
}

async function loadNotes() {
  const data = await requestJson("/api/notes");
  list.replaceChildren(
    ...data.notes.map((note) => {
      const item = document.createElement("li");
      const text = document.createElement("span");
      text.textContent = note.text; // textContent, never innerHTML: notes are user input
      const time = document.createElement("time");
      time.dateTime = note.created_at;
      time.textContent = `#${note.id} · ${new Date(note.created_at).toLocaleString()}`;
      item.append(text, time);
      return item;
    }),
  );
  empty.hidden = data.notes.length > 0;
  counters.textContent =
    `Notes created: ${counterText(data.notesCreated)} · ` +
    `Events processed by the worker: ${counterText(data.eventsProcessed)}`;
}

async function loadVersion() {
  const data = await requestJson("/api/version");
  version.textContent = `API version: ${data.version}` + (data.release ? ` · release ${data.release}` : "");
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = input.value.trim();
  if (!text) return;
  showError("");
  try {
    await requestJson("/api/notes", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text }),
    });
    input.value = "";
    await loadNotes();
  } catch (err) {
    showError(`Could not add the note: ${err.message}`);
  }
});

loadVersion().catch(() => {
  version.textContent = "API version: unavailable";
});
loadNotes().catch((err) => showError(`Could not load notes: ${err.message}`));
// The worker processes events asynchronously; refresh so its counter catches up.
setInterval(() => loadNotes().catch(() => undefined), 5000);
