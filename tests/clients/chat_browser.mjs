// The chat example's page in headless Chromium, through a proxy the test can cut:
//   node chat_browser.mjs URL SCREENSHOT.png N
// Protocol on stdout (read by tests/clients.rs):
//   "OPEN"                 the page's EventSource is open (the test then posts a message)
//   "SEEN <text>"          the page shows its first message (the test then cuts the proxy)
//   "DISCONNECTED"         the page saw its connection drop (the test posts, then heals it)
//   "SHOWN <json array>"   the page shows N messages, and no more a moment later; screenshot
import { chromium } from "playwright-core";
import { launchOptions, until as waitFor } from "./chromium.mjs";

const [url, screenshot, n] = process.argv.slice(2);
const browser = await chromium.launch(launchOptions());
const deadline = Date.now() + 30000;
const read = (page) =>
  page.evaluate(() => ({
    state: document.getElementById("state").textContent,
    messages: window.messages ?? [],
  }));
const until = (page, test) => waitFor(page, read, test, deadline);
try {
  const page = await browser.newPage({ viewport: { width: 640, height: 480 } });
  await page.goto(url);
  await until(page, (v) => v.state === "open");
  console.log("OPEN");
  const seen = await until(page, (v) => v.messages.length >= 1);
  console.log(`SEEN ${seen.messages[0]}`);
  await until(page, (v) => v.state !== "open");
  console.log("DISCONNECTED");
  await until(page, (v) => v.messages.length >= Number(n) && v.state === "open");
  await new Promise((r) => setTimeout(r, 500)); // a duplicate would arrive by now
  const shown = await read(page);
  await page.screenshot({ path: screenshot });
  console.log(`SHOWN ${JSON.stringify(shown.messages)}`);
} finally {
  await browser.close();
}
