// The page: settings from the form (or from query parameters, which fill the form and run the lookup
// at once), a table of the users found.
//
//   ?ids=ID1,ID2                       through this server's /wiki proxy (vite.config.js)
//   ?baseUrl=URL&email=E&apiToken=T&ids=...   directly (only servers that send CORS headers)
//
// Query parameters end up in the browser history and in server logs: never put a real API token
// in one. They are there for local tests against a fake server.
import { isConfluenceError } from "confluence-users";
import { createClient, lookUpUsers, parseIds } from "./users.js";
import "./style.css";

const form = document.getElementById("settings");
const status = document.getElementById("status");
const tbody = document.querySelector("#users tbody");

function setStatus(state, text) {
  status.dataset.state = state;
  status.textContent = text;
}

function render(rows) {
  tbody.replaceChildren(
    ...rows.map((r) => {
      const tr = document.createElement("tr");
      tr.dataset.accountId = r.accountId;
      tr.dataset.found = String(r.found);
      const cells = r.found
        ? [r.accountId, r.displayName + (r.you ? " (you)" : ""), r.email || "hidden", r.accountType, r.timeZone || "—"]
        : [r.accountId, "not found", "", "", ""];
      for (const text of cells) {
        const td = document.createElement("td");
        td.textContent = text; // never innerHTML: names come from the server
        tr.append(td);
      }
      return tr;
    }),
  );
}

async function lookUp() {
  const settings = Object.fromEntries(new FormData(form));
  setStatus("loading", "Looking up…");
  tbody.replaceChildren();
  try {
    const rows = await lookUpUsers(createClient(settings), parseIds(settings.ids));
    render(rows);
    const missing = rows.filter((r) => !r.found).length;
    setStatus("done", `${rows.length - missing} users found` + (missing ? `, ${missing} not found` : ""));
  } catch (e) {
    setStatus("error", isConfluenceError(e) ? `${e.message} (${e.kind}${e.status ? ` ${e.status}` : ""})` : String(e));
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  lookUp();
});

const params = new URLSearchParams(location.search);
for (const name of ["baseUrl", "email", "apiToken", "ids"]) {
  if (params.has(name)) form.elements[name].value = params.get(name);
}
if (params.has("baseUrl") || params.has("ids")) lookUp();
