// Runs the served eventmanager.js under Node with the "ws" package as its WebSocket: prints "status <status>" and
// "event <type> <id>" lines, and exits once an event of type "test.done" arrives.
// Usage: node eventmanager-client.js <http-base> <ws-url>
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const WebSocket = require("ws");

async function main() {
  const [httpBase, wsUrl] = process.argv.slice(2);
  const response = await fetch(new URL("/eventmanager.js", httpBase));
  if (!response.ok) throw new Error("eventmanager.js: HTTP " + response.status);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "em-")), "eventmanager.js");
  fs.writeFileSync(file, await response.text());
  const EventManagerClient = require(file);

  const client = new EventManagerClient(wsUrl, {
    WebSocket,
    eventTypes: ["test.*"],
    batchWindowMs: 0,
    reconnectInterval: 100,
    maxReconnectInterval: 400,
    maxReconnectAttempts: 100,
    onStatus: (status) => console.log("status " + status),
    onResume: (resume) => console.log("resume " + resume.recovered + " " + resume.status + " " + resume.replayed),
    onEvent: (event) => {
      console.log("event " + event.event_type + " " + event.event_id);
      if (event.event_type === "test.done") {
        client.disconnect();
        setTimeout(() => process.exit(0), 50);
      }
    },
  });
  client.connect();
}

main().catch((error) => {
  console.log("error " + error.message);
  process.exit(2);
});
