// npm `eventsource-parser` as a second, independent decoder: reads a JSON file of streams,
// each a list of chunks (arrays of byte values), and prints, per stream, what the parser dispatched.
//   node parser_client.mjs STREAMS.json
// Bytes are decoded as a client decodes them: UTF-8 with replacement, one leading BOM removed
// (TextDecoder, fed chunk by chunk, keeps it; the parser removes it).
import { readFileSync } from "node:fs";
import { createParser } from "eventsource-parser";

const streams = JSON.parse(readFileSync(process.argv[2], "utf8"));
const results = streams.map((chunks) => {
  const events = [];
  let retry = null;
  const parser = createParser({
    onEvent: (e) => events.push({ type: e.event || "message", data: e.data, id: e.id ?? null }),
    onRetry: (ms) => (retry = ms),
  });
  const decoder = new TextDecoder("utf-8", { ignoreBOM: true }); // the parser removes the BOM itself
  for (const chunk of chunks) {
    parser.feed(decoder.decode(Uint8Array.from(chunk), { stream: true }));
  }
  parser.feed(decoder.decode());
  return { events, retry };
});
console.log(JSON.stringify(results));
