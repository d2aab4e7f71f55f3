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
