// Mistakes the declarations must catch; `tsc` must reject every line marked below (the test counts the errors).
import EventManagerClient = require("eventmanager");

const client = new EventManagerClient("ws://host/ws/events", {
  batchSize: "50",                                   // error 1: a number
  onEvent: (event) => event.no_such_field,           // error 2: not an event field
});
client.subscribe("voice.*");                         // error 3: an array of strings
const status: EventManagerClient.ClientStatus = "open"; // error 4: not a status
client.onGap((gap) => gap.missing);                  // error 5: the field is missed
