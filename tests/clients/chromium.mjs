// How every browser test starts Chromium: Debian's package, headless, and quiet on a machine
// without outside network. Playwright gives each launch a fresh, empty profile directory.
export function launchOptions() {
  return {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-quic",
    ],
  };
}

// Polls `read(page)` until `test` holds for what it returns, or throws at `deadline` (ms).
export async function until(page, read, test, deadline) {
  for (;;) {
    const view = await read(page);
    if (test(view)) return view;
    if (Date.now() > deadline) throw new Error(`timed out at ${JSON.stringify(view)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

// Installed before a counter page loads (`page.addInitScript(recordCounts)`): records every
// count the page shows as it changes, so that a loaded machine polling the text misses none.
export function recordCounts() {
  window.shownCounts = [];
  new MutationObserver(() => {
    const text = document.getElementById("count")?.textContent ?? "";
    if (!/^\d+$/.test(text)) return;
    const count = Number(text);
    if (window.shownCounts.at(-1) !== count) window.shownCounts.push(count);
  }).observe(document, { childList: true, characterData: true, subtree: true });
}

// What a counter page shows: the count (-1 before the first), the connection state, the last
// event id, and every count shown so far.
export function readCounter(page) {
  return page.evaluate(() => ({
    count: /^\d+$/.test(document.getElementById("count").textContent)
      ? Number(document.getElementById("count").textContent)
      : -1,
    state: document.getElementById("state").textContent,
    lastId: document.getElementById("last-id").textContent,
    shown: window.shownCounts ?? [],
  }));
}
