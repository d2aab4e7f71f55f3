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
