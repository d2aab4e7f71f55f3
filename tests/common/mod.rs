//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod hand_timer;
pub mod oracle;
mod whatwg;
#[allow(unused_imports)]
pub use whatwg::{Dispatched, Parser};

/// Parses `bytes` with the `eventsource-stream` crate, fed as the given chunks.
pub fn peer_parse(chunks: Vec<bytes::Bytes>) -> Vec<eventsource_stream::Event> {
    use eventsource_stream::Eventsource;
    use futures_util::StreamExt;
    let stream =
        futures_util::stream::iter(chunks.into_iter().map(Ok::<_, std::convert::Infallible>));
    futures_executor::block_on(
        stream
            .eventsource()
            .map(|r| r.expect("peer parse error"))
            .collect(),
    )
}

/// A running example server, killed (if still running) when dropped. What it writes to stderr
/// is kept, and printed only if the test fails, so that a passing `cargo test` stays quiet.
pub struct Server {
    pub child: std::process::Child,
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub url: String,
    stderr: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            for line in self.stderr.lock().unwrap().iter() {
                eprintln!("server: {line}");
            }
        }
    }
}

impl Server {
    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.url.rsplit(':').next().unwrap().parse().unwrap()
    }
}

/// A loopback port free a moment ago, for a server that must be told its port (nginx,
/// redis-server) or for a port nothing listens on.
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// The example's binary, built first (with the features of this test build's profile):
/// `cargo test --test NAME` alone does not build examples, and testing a stale server would
/// prove nothing.
pub fn example_binary(name: &str) -> std::path::PathBuf {
    example_binary_with_features(name, &[])
}

/// [`example_binary`] for an example that needs crate features.
pub fn example_binary_with_features(name: &str, features: &[&str]) -> std::path::PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let features = features.join(",");
    let mut args = vec!["build", "--quiet", "--example", name];
    if !features.is_empty() {
        args.extend(["--features", &features]);
    }
    let status = std::process::Command::new(cargo)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .unwrap();
    assert!(status.success(), "cargo build --example {name} failed");
    // target/<profile>/deps/<test binary> → target/<profile>/examples/<name>
    let mut path = std::env::current_exe().unwrap();
    path.pop();
    path.pop();
    path.push("examples");
    path.push(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(path.exists(), "{} is not built", path.display());
    path
}

/// Starts an example server on loopback and waits (at most 10 s) for the URL it prints.
pub fn start_example(name: &str, args: &[&str]) -> Server {
    start_example_with_features(name, &[], args)
}

/// [`start_example`] for an example that needs crate features.
pub fn start_example_with_features(name: &str, features: &[&str], args: &[&str]) -> Server {
    use std::io::BufRead;
    let mut child = std::process::Command::new(example_binary_with_features(name, features))
        .args(args)
        .env("PORT", "0") // for `hello`, which takes no flags
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let (pipe, kept) = (child.stderr.take().unwrap(), stderr.clone());
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(pipe).lines().map_while(Result::ok) {
            kept.lock().unwrap().push(line);
        }
    });
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    let line = rx
        .recv_timeout(std::time::Duration::from_secs(10))
        .expect("no URL printed");
    let url = line
        .strip_prefix("Listening on ")
        .expect(&line)
        .trim_end_matches('/')
        .to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    Server { child, url, stderr }
}
