// The counter example's page in headless Chromium: waits for the count to tick, takes a
// screenshot, then reports what happens when the server is restarted underneath the page.
//   node counter_browser.mjs URL SCREENSHOT.png
// Protocol on stdout (read by tests/clients.rs):
//   "TICKING <n>"       the page showed counts 0..n, in order; screenshot taken
//   "DISCONNECTED <n>"  the connection dropped after count n (the test restarts the server)
//   "RESUMED <n> <m>"   after reconnecting, the first count shown was m
import { chromium } from "playwright-core";
import { launchOptions, readCounter, recordCounts, until as waitFor } from "./chromium.mjs";

const [url, screenshot] = process.argv.slice(2);
const browser = await chromium.launch(launchOptions());
const deadline = Date.now() + 30000;
const read = readCounter;
const until = (page, test) => waitFor(page, read, test, deadline);
try {
  const page = await browser.newPage({ viewport: { width: 640, height: 480 } });
  await page.addInitScript(recordCounts);
  await page.goto(url);
  const { shown: seen } = await until(page, (v) => v.count >= 3 && v.state === "open");
  const expected = seen.map((_, i) => i);
  if (JSON.stringify(seen) !== JSON.stringify(expected)) throw new Error(`counts ${seen}`);
  await page.screenshot({ path: screenshot });
  console.log(`TICKING ${seen[seen.length - 1]}`);
  const down = await until(page, (v) => v.state !== "open");
  console.log(`DISCONNECTED ${down.count}`);
  const back = await until(page, (v) => v.count !== down.count);
  console.log(`RESUMED ${down.count} ${back.count} ${back.lastId}`);
  await page.screenshot({ path: screenshot.replace(/\.png$/, "-resumed.png") });
} finally {
  await browser.close();
}
