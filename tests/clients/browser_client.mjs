// Opens the corpus server's page in headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core) and prints what its EventSource dispatched as JSON: node browser_client.mjs URL
import { chromium } from "playwright-core";
import { launchOptions } from "./chromium.mjs";

const [url] = process.argv.slice(2);
const browser = await chromium.launch(launchOptions());
try {
  const page = await browser.newPage();
  await page.goto(url);
  await page.waitForFunction(() => window.__sse && window.__sse.done, null, { timeout: 30000 });
  process.stdout.write(JSON.stringify(await page.evaluate(() => window.__sse.events)));
} finally {
  await browser.close();
}
