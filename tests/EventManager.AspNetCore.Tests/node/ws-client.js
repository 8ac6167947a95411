// An independent WebSocket client (the "ws" package): prints each frame type, then each event as "event <type> <id>",
// and exits after <count> events. Usage: node ws-client.js <ws-url> <count>
"use strict";
const WebSocket = require("ws");

const [url, countText] = process.argv.slice(2);
const wanted = Number(countText);
let seen = 0;
const socket = new WebSocket(url);

socket.on("message", (data) => {
  const frame = JSON.parse(data.toString());
  console.log("frame " + frame.type);
  const events = frame.type === "event" ? [frame] : frame.type === "batch" ? frame.events : [];
  for (const event of events) {
    console.log("event " + event.event_type + " " + event.event_id);
    if (++seen === wanted) {
      socket.close(1000);
    }
  }
});
socket.on("close", (code) => {
  console.log("closed " + code);
  process.exit(seen === wanted ? 0 : 1);
});
socket.on("error", (error) => {
  console.log("error " + error.message);
  process.exit(2);
});
