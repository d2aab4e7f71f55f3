// Reads an event stream with the `eventsource` package from npm and prints every dispatched
// event as JSON: node node_client.mjs URL '["type", ...]'
import { EventSource } from "eventsource";

const [url, typesJson] = process.argv.slice(2);
const types = JSON.parse(typesJson);
const events = [];
const source = new EventSource(url);
const record = (e) => {
  events.push({ type: e.type, data: e.data, lastEventId: e.lastEventId });
  if (e.type === "done") {
    source.close();
    // Exit only once the pipe has taken everything (writes to pipes are asynchronous).
    process.stdout.write(JSON.stringify(events), () => process.exit(0));
  }
};
source.onmessage = record;
for (const type of types) source.addEventListener(type, record);
source.onerror = (e) => console.error("eventsource error:", e?.message ?? e);
setTimeout(() => {
  console.error(`timed out after ${events.length} events`);
  process.exit(2);
}, 30000);
