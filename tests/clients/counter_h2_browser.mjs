// The counter page over TLS in headless Chromium, with the certificate the test made (not
// trusted, so its errors are ignored): waits until the page has counted to 8, across the
// stream ends the server makes about every second, and reports what the browser negotiated.
//   node counter_h2_browser.mjs URL SCREENSHOT.png
// Protocol on stdout (read by tests/clients.rs):
//   "COUNTS <n> <n> ..."     every count the page showed, in order
//   "PROTOCOLS <p> <p> ..."  the protocol of each EventSource response, as DevTools reports it
import { chromium } from "playwright-core";
import { launchOptions, readCounter, recordCounts, until } from "./chromium.mjs";

const [url, screenshot] = process.argv.slice(2);
const browser = await chromium.launch(launchOptions());
try {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await context.newPage();
  const devtools = await context.newCDPSession(page);
  const protocols = [];
  devtools.on("Network.responseReceived", (e) => {
    if (e.type === "EventSource") protocols.push(e.response.protocol);
  });
  await devtools.send("Network.enable");
  await page.addInitScript(recordCounts);
  await page.goto(url);
  const view = await until(page, readCounter, (v) => v.count >= 8, Date.now() + 30000);
  await page.screenshot({ path: screenshot });
  console.log(`COUNTS ${view.shown.join(" ")}`);
  console.log(`PROTOCOLS ${protocols.join(" ")}`);
} finally {
  await browser.close();
}
