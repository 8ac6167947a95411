// An independent SSE client (the "eventsource" package): prints "<event-type> <id>" per message and exits after <count>
// messages of any type except session_stream_started, which it prints first. Usage: node sse-client.js <url> <count> <types,...>
"use strict";
const { EventSource } = require("eventsource");

const [url, countText, typesText] = process.argv.slice(2);
const wanted = Number(countText);
let seen = 0;
const source = new EventSource(url);

for (const type of ["session_stream_started", ...typesText.split(",")]) {
  source.addEventListener(type, (message) => {
    JSON.parse(message.data);
    console.log(type + " " + message.lastEventId);
    if (type !== "session_stream_started" && ++seen === wanted) {
      source.close();
      process.exit(0);
    }
  });
}
source.onopen = () => console.log("open");
source.onerror = (error) => console.log("error " + (error.message || error.code || "connection"));
