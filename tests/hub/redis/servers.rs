//! Real `redis-server` processes on loopback ports (Debian's package, which `.ci/run` installs):
//! one Redis and one 3-master Redis Cluster shared by the tests of this binary, and servers of
//! a test's own for the fault tests. Without `redis-server` the tests are skipped, except under
//! CI (`CI` set), where they fail. Every wait is bounded.

use crate::common;
use std::io::Write as _;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub const STEP: Duration = Duration::from_secs(10);

/// Whether `redis-server` can run here; says so on the terminal when it cannot (outside CI).
pub fn available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        let found = Command::new("redis-server").arg("--version").output();
        match found {
            Ok(out) if out.status.success() => true,
            _ if std::env::var_os("CI").is_some() => {
                panic!("redis-server is needed under CI")
            }
            _ => {
                // Straight to the terminal: libtest captures `eprintln!` of a passing test,
                // and a skip that nobody sees reads as a pass.
                let _ = writeln!(
                    std::io::stderr(),
                    "SKIPPED Redis tests: no redis-server; install it or run .ci/run"
                );
                false
            }
        }
    })
}

/// A `redis-server` on a free loopback port, in a directory of its own.
pub struct RedisServer {
    child: Child,
    pub port: u16,
    dir: std::path::PathBuf,
    args: Vec<String>,
}

impl RedisServer {
    /// A fresh server with an append-only file (so that a restart keeps what it had), or
    /// `None` when `redis-server` is missing outside CI.
    pub fn start() -> Option<RedisServer> {
        RedisServer::start_with(&["--appendonly", "yes", "--appendfsync", "always"], false)
    }

    /// With `shared`, the server outlives the test that started it, and dies with the test
    /// process (see [`spawn`]).
    pub fn start_with(extra: &[&str], shared: bool) -> Option<RedisServer> {
        if !available() {
            return None;
        }
        let port = common::free_port();
        let dir =
            std::env::temp_dir().join(format!("sse-wire-redis-{port}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut args: Vec<String> = ["--bind", "127.0.0.1", "--port", &port.to_string()]
            .iter()
            .map(|s| s.to_string())
            .collect();
        args.extend(["--save", "", "--dir", dir.to_str().unwrap()].map(String::from));
        args.extend(extra.iter().map(|s| s.to_string()));
        let mut server = RedisServer {
            child: spawn(&args, shared),
            port,
            dir,
            args,
        };
        server.wait_ready();
        Some(server)
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + STEP;
        while self.cli(&["PING"]).trim() != "PONG" {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Runs `redis-cli` against this server; its output.
    pub fn cli(&self, args: &[&str]) -> String {
        let out = Command::new("redis-cli")
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(args)
            .output()
            .expect("redis-cli");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Kills the server (SIGKILL: no clean shutdown), and starts it again on the same port
    /// after `pause`: with what its append-only file kept, or empty when `keep_data` is false.
    pub fn kill_and_restart(&mut self, pause: Duration, keep_data: bool) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        if !keep_data {
            std::fs::remove_dir_all(&self.dir).unwrap();
            std::fs::create_dir_all(&self.dir).unwrap();
        }
        std::thread::sleep(pause);
        self.child = spawn(&self.args, false);
        self.wait_ready();
    }

    /// Sends the server a signal (`STOP`, `CONT`).
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl RedisServer {
    /// Kills the server for good (SIGKILL).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill(); // SIGKILL ends a stopped process too
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `redis-server` with `args`. A shared one runs under a shell that kills it when this test
/// process goes away (the shell's stdin, held by the process, closes): shared servers outlive
/// every test, and must not outlive the run.
fn spawn(args: &[String], shared: bool) -> Child {
    let mut command = match shared {
        true => {
            let mut sh = Command::new("sh");
            sh.arg("-c")
                .arg(r#"redis-server "$@" & pid=$!; read -r _; kill -9 $pid"#)
                .arg("sh")
                .stdin(Stdio::piped());
            sh
        }
        false => Command::new("redis-server"),
    };
    command
        .args(args)
        .stdout(Stdio::null())
        .spawn()
        .expect("redis-server")
}

/// One Redis shared by every test of this binary that needs no faults of its own; each test
/// uses keys of its own.
pub fn shared() -> Option<&'static RedisServer> {
    static SHARED: OnceLock<Option<RedisServer>> = OnceLock::new();
    SHARED
        .get_or_init(|| RedisServer::start_with(&[], true))
        .as_ref()
}

/// A Redis Cluster of three masters on loopback, shared by the tests of this binary: the
/// nodes' URLs.
pub fn cluster() -> Option<&'static [String]> {
    static CLUSTER: OnceLock<Option<(Vec<RedisServer>, Vec<String>)>> = OnceLock::new();
    CLUSTER
        .get_or_init(|| {
            let nodes = start_cluster(3, 0, true)?;
            let urls = nodes.iter().map(RedisServer::url).collect();
            Some((nodes, urls))
        })
        .as_ref()
        .map(|(_, urls)| urls.as_slice())
}

/// A Redis Cluster of `masters` masters with `replicas` replicas each, formed and ready: its
/// nodes, masters first as `redis-cli --cluster create` assigns them.
pub fn start_cluster(masters: usize, replicas: usize, shared: bool) -> Option<Vec<RedisServer>> {
    let nodes: Vec<RedisServer> = (0..masters * (1 + replicas))
        .map(|_| {
            RedisServer::start_with(
                &[
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    "nodes.conf",
                    "--cluster-node-timeout",
                    "2000",
                ],
                shared,
            )
        })
        .collect::<Option<_>>()?;
    let addresses: Vec<String> = nodes
        .iter()
        .map(|n| format!("127.0.0.1:{}", n.port))
        .collect();
    let out = Command::new("redis-cli")
        .args(["--cluster", "create"])
        .args(&addresses)
        .args(["--cluster-replicas", &replicas.to_string(), "--cluster-yes"])
        .output()
        .expect("redis-cli");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    wait_cluster_ok(&nodes);
    // A replica can take over only once it has synchronised with its master.
    let deadline = Instant::now() + STEP * 3;
    while !nodes.iter().all(|n| {
        let replication = n.cli(&["INFO", "replication"]);
        replication.contains("role:master") || replication.contains("master_link_status:up")
    }) {
        assert!(
            Instant::now() < deadline,
            "the replicas did not synchronise"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Some(nodes)
}

/// Waits until every live node of `nodes` says the cluster is ok.
pub fn wait_cluster_ok(nodes: &[RedisServer]) {
    let deadline = Instant::now() + STEP * 3;
    while !nodes
        .iter()
        .all(|n| n.cli(&["CLUSTER", "INFO"]).contains("cluster_state:ok"))
    {
        assert!(Instant::now() < deadline, "the cluster is not ok");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A key prefix no other test of this run uses.
pub fn prefix(name: &str) -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{name}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}
