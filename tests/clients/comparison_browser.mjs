// The browser column of the README's client comparison (benches/peers, bin clients): opens
// PAGE in headless Chromium, whose script opens an EventSource on the scripted stream, watches
// it for WINDOW_MS and prints one line per dispatched message (`E <data as JSON, or its size>`)
// and whether the EventSource closed for good: node comparison_browser.mjs PAGE WINDOW_MS
import { chromium } from "playwright-core";
import { launchOptions } from "./chromium.mjs";

const [page_url, window_ms] = process.argv.slice(2);
const browser = await chromium.launch(launchOptions());
try {
  const page = await browser.newPage();
  await page.goto(page_url);
  await new Promise((r) => setTimeout(r, Number(window_ms)));
  const log = await page.evaluate(() => window.__log);
  for (const data of log.events) {
    console.log(`E ${data.length > 16 ? `${data.length} bytes` : JSON.stringify(data)}`);
  }
  console.log(`ENDED ${log.ended ? "yes" : "no"}`);
} finally {
  await browser.close();
}
